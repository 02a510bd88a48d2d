import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goErrnoText } from './errno.js';

describe('goErrnoText', () => {
  it("gives Go's strerror wording", () => {
    assert.equal(goErrnoText('ENOENT'), 'no such file or directory');
    assert.equal(goErrnoText('ETXTBSY'), 'text file busy');
    assert.equal(goErrnoText('EACCES'), 'permission denied');
  });

  it('knows nothing of unknown codes or inherited object keys', () => {
    assert.equal(goErrnoText('EWHATEVER'), undefined);
    assert.equal(goErrnoText('toString'), undefined);
  });
});
