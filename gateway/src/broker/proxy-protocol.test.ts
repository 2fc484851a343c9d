import { describe, expect, it } from 'vitest';
import { INETProtocol, IPv4Address, IPv4ProxyAddress, IPv6Address, IPv6ProxyAddress, Command, Peer, TransportProtocol, V1ProxyProtocol, V2ProxyProtocol } from 'proxy-protocol-js';
import { parseProxyHeader } from './proxy-protocol';

const CONNECT = Buffer.from([0x10, 0x0c]);

describe('parseProxyHeader', () => {
  it('reads a v1 header and says where the MQTT bytes start', () => {
    const line = new V1ProxyProtocol(INETProtocol.TCP4, new Peer('203.0.113.7', 40000), new Peer('10.0.0.1', 1883)).build();
    const buf = Buffer.concat([Buffer.from(line, 'ascii'), CONNECT]);
    expect(parseProxyHeader(buf)).toEqual({ state: 'ok', length: line.length, address: '203.0.113.7' });
  });

  it('reads v2 headers for IPv4 and IPv6, and a LOCAL one as no address', () => {
    const v4 = Buffer.from(new V2ProxyProtocol(Command.PROXY, TransportProtocol.STREAM, new IPv4ProxyAddress(IPv4Address.createFrom([198, 51, 100, 4]), 5000, IPv4Address.createFrom([10, 0, 0, 1]), 1883)).build());
    expect(parseProxyHeader(Buffer.concat([v4, CONNECT]))).toEqual({ state: 'ok', length: v4.length, address: '198.51.100.4' });
    const bytes = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];
    const v6 = Buffer.from(new V2ProxyProtocol(Command.PROXY, TransportProtocol.STREAM, new IPv6ProxyAddress(IPv6Address.createFrom(bytes), 5000, IPv6Address.createFrom(bytes), 1883)).build());
    expect(parseProxyHeader(v6)).toEqual({ state: 'ok', length: v6.length, address: '2001:db8:0:0:0:0:0:42' });
    const local = Buffer.from(new V2ProxyProtocol(Command.LOCAL, TransportProtocol.UNSPEC, new IPv4ProxyAddress(IPv4Address.createWithEmptyAddress(), 0, IPv4Address.createWithEmptyAddress(), 0)).build());
    expect(parseProxyHeader(local)).toMatchObject({ state: 'ok', address: null });
  });

  it('waits for a header split across reads, and refuses what is not one', () => {
    const line = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 40000 1883\r\n', 'ascii');
    expect(parseProxyHeader(line.subarray(0, 3))).toEqual({ state: 'need_more' });
    expect(parseProxyHeader(line.subarray(0, 20))).toEqual({ state: 'need_more' });
    expect(parseProxyHeader(CONNECT)).toMatchObject({ state: 'bad' });
    expect(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`))).toMatchObject({ state: 'bad' });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n'))).toMatchObject({ state: 'bad' });
  });
});
