import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CniError } from './errors.js';
import { validateContainerID, validateInterfaceName, validateNetworkName } from './validate.js';

const fields = (e: CniError | undefined): unknown => e && { code: e.code, msg: e.msg, details: e.details };

describe('validateContainerID', () => {
  it('matches the reference cases', () => {
    assert.deepEqual(fields(validateContainerID('')), { code: 3, msg: 'missing containerID', details: '' });
    assert.deepEqual(fields(validateContainerID('1234%%%')), { code: 4, msg: 'invalid characters in containerID', details: '1234%%%' });
    assert.equal(validateContainerID('a51debf7e1eb'), undefined);
  });

  it('wants an alphanumeric first character then [A-Za-z0-9_.-], ASCII only', () => {
    for (const ok of ['1', 'A1', 'a-b_c.d', 'a...', 'Z9-']) assert.equal(validateContainerID(ok), undefined, ok);
    for (const bad of ['-abc', '.a', '_a', 'ä', 'a:b', 'a b', 'a\n', 'a/b']) {
      assert.deepEqual(fields(validateContainerID(bad)), { code: 4, msg: 'invalid characters in containerID', details: bad }, bad);
    }
  });
});

describe('validateNetworkName', () => {
  it('matches the reference cases', () => {
    assert.deepEqual(fields(validateNetworkName('')), { code: 7, msg: 'missing network name:', details: '' });
    assert.deepEqual(fields(validateNetworkName('1234%%%')), { code: 7, msg: 'invalid characters found in network name', details: '1234%%%' });
    assert.equal(validateNetworkName('eth0'), undefined);
    assert.deepEqual(fields(validateNetworkName('my/net')), { code: 7, msg: 'invalid characters found in network name', details: 'my/net' });
  });
});

describe('validateInterfaceName', () => {
  const code = 4;
  it('matches the reference cases', () => {
    assert.deepEqual(fields(validateInterfaceName('')), { code, msg: 'interface name is empty', details: '' });
    assert.deepEqual(fields(validateInterfaceName('testnamemorethan16')), {
      code,
      msg: 'interface name is too long',
      details: 'interface name should be less than 16 characters',
    });
    assert.deepEqual(fields(validateInterfaceName('.')), { code, msg: 'interface name is . or ..', details: '' });
    assert.deepEqual(fields(validateInterfaceName('..')), { code, msg: 'interface name is . or ..', details: '' });
    assert.equal(validateInterfaceName('...'), undefined);
    assert.deepEqual(fields(validateInterfaceName('/testname')), { code, msg: 'interface name contains / or : or whitespace characters', details: '' });
    assert.deepEqual(fields(validateInterfaceName('test name')), { code, msg: 'interface name contains / or : or whitespace characters', details: '' });
    assert.equal(validateInterfaceName('testname'), undefined);
  });

  it('counts the length in UTF-8 bytes', () => {
    assert.equal(validateInterfaceName('123456789012345'), undefined);
    assert.equal(validateInterfaceName('1234567890123456')?.msg, 'interface name is too long');
    assert.equal(validateInterfaceName('äääääää'), undefined); // 14 bytes
    assert.equal(validateInterfaceName('ääääääää')?.msg, 'interface name is too long'); // 8 chars, 16 bytes
  });

  it('checks the length before the other rules', () => {
    assert.equal(validateInterfaceName('a/b:c d efghijklmnop')?.msg, 'interface name is too long');
  });

  it('refuses ":" and every character of Go\'s unicode.IsSpace', () => {
    assert.equal(validateInterfaceName('eth:0')?.msg, 'interface name contains / or : or whitespace characters');
    const spaces = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'];
    for (let c = 0x2000; c <= 0x200a; c++) spaces.push(String.fromCharCode(c));
    for (const s of spaces) {
      assert.equal(validateInterfaceName(`a${s}b`)?.msg, 'interface name contains / or : or whitespace characters', `U+${s.charCodeAt(0).toString(16)}`);
    }
  });

  it('allows what Go does not call space, U+FEFF and U+200B included', () => {
    for (const s of ['\ufeff', '\u200b', '\u180e', '\ufffd', '-', '@', '%']) assert.equal(validateInterfaceName(`a${s}b`), undefined, `U+${s.charCodeAt(0).toString(16)}`);
  });
});
