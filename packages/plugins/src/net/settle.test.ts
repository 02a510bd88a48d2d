import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { settleAddresses, settleAddressesSync } from './settle.js';

describe('settleAddresses', () => {
  let a: ScratchNetns;
  let b: ScratchNetns;
  let rt: RtnlSocket;

  before(() => {
    a = scratchNetns('tscni-dad-a-');
    b = scratchNetns('tscni-dad-b-');
    a.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', b.name]);
    a.exec('ip', ['link', 'set', 'eth0', 'up']);
    b.exec('ip', ['link', 'set', 'peer0', 'up']);
    rt = RtnlSocket.open({ netns: a.path });
  });
  after(() => {
    rt?.close();
    a?.remove();
    b?.remove();
  });

  it('returns once duplicate address detection is over, letting other work run meanwhile', async () => {
    a.exec('ip', ['addr', 'add', 'fd00:77::2/64', 'dev', 'eth0']);
    const start = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      await settleAddresses(rt, 'eth0', 10_000);
    } finally {
      clearInterval(timer);
    }
    // DAD takes about a second here (so there was a wait); a blocked event loop would not have ticked.
    const waited = Date.now() - start;
    assert.ok(waited >= 300, `waited only ${waited} ms: nothing was tentative`);
    assert.ok(ticks >= waited / 100, `${ticks} ticks in ${waited} ms`);
    const flags = (JSON.parse(a.exec('ip', ['-j', '-6', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: { local: string; tentative?: boolean }[] }[])[0]!.addr_info.find((x) => x.local === 'fd00:77::2');
    assert.ok(flags && !flags.tentative, 'not tentative any more');
    assert.ok(Date.now() - start < 10_000);
  });

  it('fails at once when the address is a duplicate', async () => {
    b.exec('ip', ['addr', 'add', 'fd00:77::9/64', 'dev', 'peer0', 'nodad']);
    a.exec('ip', ['addr', 'add', 'fd00:77::9/64', 'dev', 'eth0']);
    await assert.rejects(settleAddresses(rt, 'eth0', 10_000), /^Error: link eth0 has address fd00:77::9\/64 in DADFAILED state$/);
  });

  it('gives up quietly on a link that is down, and with an error on one that is up (the synchronous form for windows)', () => {
    a.exec('ip', ['link', 'set', 'eth0', 'down']);
    a.exec('ip', ['addr', 'add', 'fd00:77::3/64', 'dev', 'eth0']);
    settleAddressesSync(rt, 'eth0', 200);
    a.exec('ip', ['link', 'set', 'eth0', 'up']);
    // DAD takes about a second here: a 100 ms budget runs out first.
    a.exec('ip', ['addr', 'add', 'fd00:77::4/64', 'dev', 'eth0']);
    assert.throws(() => settleAddressesSync(rt, 'eth0', 100), /link eth0 still has tentative addresses/);
  });
});
