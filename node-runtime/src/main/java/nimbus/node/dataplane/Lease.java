package nimbus.node.dataplane;

/** A server's place on the host-local network: its NIC's bridge and MAC, and the address DHCP gives it. */
public record Lease(String bridge, String mac, String ip) {}
