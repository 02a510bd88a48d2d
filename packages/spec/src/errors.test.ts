import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError, ErrorCode, findCniError, isCniError, toCniError } from './errors.js';

describe('CniError', () => {
  it('has the well-known codes', () => {
    assert.deepEqual(
      [ErrorCode.Unknown, ErrorCode.IncompatibleCNIVersion, ErrorCode.UnsupportedField, ErrorCode.UnknownContainer, ErrorCode.InvalidEnvironmentVariables, ErrorCode.IOFailure, ErrorCode.DecodingFailure, ErrorCode.InvalidNetworkConfig, ErrorCode.InvalidNetNS, ErrorCode.TryAgainLater, ErrorCode.PluginNotAvailable, ErrorCode.LimitedConnectivity, ErrorCode.Internal],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 51, 999],
    );
  });

  it('reads as msg, or msg; details', () => {
    assert.equal(new CniError(7, 'Invalid Configuration').message, 'Invalid Configuration');
    assert.equal(new CniError(7, 'some message', 'some details').message, 'some message; some details');
  });

  it('prints 4-space indented JSON without cniVersion or trailing newline', () => {
    assert.equal(new CniError(7, 'Invalid Configuration').print(), '{\n    "code": 7,\n    "msg": "Invalid Configuration"\n}');
    assert.equal(new CniError(999, 'banana').print(), '{\n    "code": 999,\n    "msg": "banana"\n}');
    assert.equal(
      new CniError(4, 'invalid characters in containerID', 'a<b').print(),
      '{\n    "code": 4,\n    "msg": "invalid characters in containerID",\n    "details": "a\\u003cb"\n}',
    );
  });

  it('adds cniVersion first when asked, as the spec shows it', () => {
    assert.equal(
      new CniError(7, 'Invalid Configuration', 'Network 192.168.0.0/31 too small to allocate from.').print('1.1.0'),
      '{\n    "cniVersion": "1.1.0",\n    "code": 7,\n    "msg": "Invalid Configuration",\n    "details": "Network 192.168.0.0/31 too small to allocate from."\n}',
    );
  });

  it('reads any error object, missing fields empty', () => {
    const e = CniError.fromJSON({ code: 50, msg: 'not ready', cniVersion: '1.1.0' });
    assert.deepEqual([e.code, e.msg, e.details], [50, 'not ready', '']);
    const junk = CniError.fromJSON('banana');
    assert.deepEqual([junk.code, junk.msg, junk.details], [0, '', '']);
  });

  it('wraps untyped errors as code 999 and keeps typed ones', () => {
    const typed = new CniError(3, 'gone');
    assert.equal(toCniError(typed), typed);
    assert.equal(toCniError(new Error('wrapped', { cause: typed })), typed);
    const wrapped = toCniError(new Error('boom'));
    assert.deepEqual([wrapped.code, wrapped.msg], [999, 'boom']);
    assert.equal(toCniError('str', 5).code, 5);
    assert.equal(isCniError(typed), true);
    assert.equal(isCniError(new Error('x')), false);
  });

  it('finds a CNI error wrapped at any depth, or one from another copy of the package', () => {
    const typed = new CniError(50, 'not ready');
    const deep = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: typed }) }) });
    assert.equal(findCniError(deep), typed);
    assert.equal(toCniError(deep), typed);
    const foreign = Object.assign(new Error('not ready'), { name: 'CniError', code: 50, msg: 'not ready', details: 'd' });
    assert.deepEqual(findCniError(foreign)?.toJSON(), { code: 50, msg: 'not ready', details: 'd' });
    assert.equal(findCniError(new Error('plain')), undefined);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    assert.equal(findCniError(loop), undefined);
  });
});
