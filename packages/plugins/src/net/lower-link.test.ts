import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NetNS, withNetNS } from '@tscni/netlink/netns';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { removeContainerLink } from './container-link.js';
import { createLowerLink, defaultRouteInterface, masterOrDefault } from './lower-link.js';
import { networkOf, validateExpectedInterfaceIPs, validateExpectedRoutes } from './validate.js';

describe('lower links, container link removal and CHECK validators', () => {
  let host: ScratchNetns;
  let cont: ScratchNetns;
  let hostNS: NetNS;
  let contNS: NetNS;

  before(() => {
    host = scratchNetns('tscni-ll-h-');
    cont = scratchNetns('tscni-ll-c-');
    hostNS = NetNS.open(host.path);
    contNS = NetNS.open(cont.path);
    host.exec('ip', ['link', 'add', 'llmaster', 'type', 'veth', 'peer', 'name', 'llpeer']);
    host.exec('ip', ['link', 'set', 'llmaster', 'up']);
  });
  after(() => {
    hostNS?.close();
    contNS?.close();
    cont?.remove();
    host?.remove();
  });

  it('finds the default route interface, or says there is none', () => {
    withRtnlSocket({ netns: hostNS }, (rt) => assert.throws(() => defaultRouteInterface(rt), /^Error: no default route interface found$/));
    host.exec('ip', ['addr', 'add', '192.168.91.1/24', 'dev', 'llmaster']);
    host.exec('ip', ['route', 'add', 'default', 'via', '192.168.91.254']);
    withRtnlSocket({ netns: hostNS }, (rt) => assert.equal(defaultRouteInterface(rt), 'llmaster'));
    assert.equal(withNetNS(hostNS, () => masterOrDefault('', contNS, false)), 'llmaster');
    assert.equal(masterOrDefault('eth7', contNS, false), 'eth7');
  });

  it('creates a macvlan under a temporary name in the container and renames it there', () => {
    const link = withNetNS(hostNS, () =>
      createLowerLink({ containerNS: contNS, ifName: 'eth0', master: 'llmaster', info: { kind: 'macvlan', mode: 'vepa' }, mtu: 1400, mac: '02:00:00:00:00:09' }),
    );
    assert.deepEqual([link.name, link.mtu, link.mac, link.kind], ['eth0', 1400, '02:00:00:00:00:09', 'macvlan']);
    assert.match(cont.exec('ip', ['-d', 'link', 'show', 'eth0']), /macvlan mode vepa/);
    assert.doesNotMatch(host.exec('ip', ['link']), /veth[0-9a-f]{8}/);
  });

  it('fails with the reference\'s messages and leaves no temporary link', () => {
    assert.throws(
      () => withNetNS(hostNS, () => createLowerLink({ containerNS: contNS, ifName: 'eth1', master: 'nosuch', info: { kind: 'macvlan' } })),
      /^Error: failed to lookup master "nosuch": Link not found$/,
    );
    assert.throws(
      () => withNetNS(hostNS, () => createLowerLink({ containerNS: contNS, ifName: 'eth0', master: 'llmaster', info: { kind: 'macvlan' } })),
      /^Error: failed to rename macvlan to "eth0": /,
    );
    assert.doesNotMatch(cont.exec('ip', ['link']), /veth[0-9a-f]{8}/);
  });

  it('validates addresses and routes as CHECK does', () => {
    cont.exec('ip', ['addr', 'add', '10.91.0.5/24', 'dev', 'eth0']);
    cont.exec('ip', ['link', 'set', 'eth0', 'up']);
    cont.exec('ip', ['route', 'add', 'default', 'via', '10.91.0.1']);
    withRtnlSocket({ netns: contNS }, (rt) => {
      validateExpectedInterfaceIPs(rt, 'eth0', [{ address: '10.91.0.5/24', gateway: '10.91.0.1' }]);
      validateExpectedRoutes(rt, [{ dst: '0.0.0.0/0' }, { dst: '10.91.0.0/24' }]);
      assert.throws(() => validateExpectedInterfaceIPs(rt, 'eth0', [{ address: '10.91.0.5/25' }]), /^Error: Failed to match addr 10\.91\.0\.5\/25 on interface eth0$/);
      assert.throws(() => validateExpectedInterfaceIPs(rt, 'eth9', [{ address: '10.91.0.5/24' }]), /^Error: Cannot find container link eth9$/);
      assert.throws(
        () => validateExpectedRoutes(rt, [{ dst: '10.92.0.0/16', gw: '10.91.0.1' }]),
        /^Error: Expected Route \{Dst:10\.92\.0\.0\/16 GW:10\.91\.0\.1 MTU:0 AdvMSS:0 Priority:0 Table:<nil> Scope:<nil>\} not found in routing table$/,
      );
    });
    assert.equal(networkOf('10.91.0.5/24'), '10.91.0.0/24');
    assert.equal(networkOf('fd00:91::7/64'), 'fd00:91::/64');
  });

  it('removes a container link idempotently, and takes a missing namespace as done', () => {
    assert.equal(removeContainerLink(cont.path, 'eth0'), 'deleted');
    assert.equal(removeContainerLink(cont.path, 'eth0'), 'no-link');
    assert.equal(removeContainerLink('/run/netns/tscni-ll-never-was', 'eth0'), 'no-netns');
    assert.throws(() => removeContainerLink('/etc/hostname', 'eth0'), /unknown FS magic/);
  });
});
