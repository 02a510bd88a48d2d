import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomHex } from './random-hex.js';

test('randomHex gives the asked number of bytes as hex, different each time', () => {
  assert.match(randomHex(4), /^[0-9a-f]{8}$/);
  assert.match(randomHex(6), /^[0-9a-f]{12}$/);
  const seen = new Set(Array.from({ length: 64 }, () => randomHex(4)));
  assert.ok(seen.size > 60);
});
