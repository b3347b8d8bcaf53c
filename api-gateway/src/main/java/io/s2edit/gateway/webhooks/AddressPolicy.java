package io.s2edit.gateway.webhooks;

import io.s2edit.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * SSRF rules for webhook URLs (services.md): http/https only, no user info; every address the
 * host resolves to must be public, i.e. none of loopback, "this network", private (RFC 1918),
 * CGNAT 100.64/10, link-local 169.254/16 (cloud metadata), documentation/benchmark ranges,
 * multicast, reserved, and for IPv6 ::, ::1, IPv4-mapped/compatible, NAT64, ULA fc00::/7,
 * link-local fe80::/10, multicast - unless it lies in {@code s2edit.webhooks.allowed-networks}.
 * The host is resolved once per attempt and the client connects to the checked address.
 */
@ApplicationScoped
public class AddressPolicy {

    private static final List<Cidr> BLOCKED = Cidr.parseAll(List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
            "::/96", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
            "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"));

    private final List<Cidr> allowed;

    @Inject
    public AddressPolicy(GatewayConfig config) {
        this(config.webhooks().allowedNetworks().orElse(List.of()));
    }

    public AddressPolicy(List<String> allowedNetworks) {
        this.allowed = Cidr.parseAll(allowedNetworks);
    }

    /** Syntax checks that need no DNS; returns the parsed URI. */
    public URI checkSyntax(String url) throws RefusedException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw new RefusedException("not a URL: " + url);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new RefusedException("webhook URL must be http or https, got \"" + uri.getScheme() + "\"");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new RefusedException("webhook URL has no host: " + url);
        }
        if (uri.getRawUserInfo() != null) {
            throw new RefusedException("webhook URL must not carry user info");
        }
        if (uri.getPort() > 65535) {
            throw new RefusedException("webhook URL port out of range");
        }
        return uri;
    }

    /**
     * At submission: syntax, and if the host is an IP literal or {@code localhost}, the address
     * rules too. Other names are checked when delivering, since DNS may change in between.
     */
    public void checkAtSubmit(String url) throws RefusedException {
        URI uri = checkSyntax(url);
        String host = bareHost(uri);
        if (host.equalsIgnoreCase("localhost") || isLiteral(host)) {
            resolve(uri);
        }
    }

    /** Resolves the host once; refuses if any address is blocked; returns the first address. */
    public InetAddress resolve(URI uri) throws RefusedException {
        String host = bareHost(uri);
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new RefusedException("cannot resolve " + host, true);
        }
        for (InetAddress a : all) {
            if (isBlocked(a)) {
                throw new RefusedException(host + " resolves to " + a.getHostAddress()
                        + ", a non-public address; allow its network in s2edit.webhooks.allowed-networks if intended");
            }
        }
        return all[0];
    }

    public boolean isBlocked(InetAddress a) {
        for (Cidr c : allowed) {
            if (c.contains(a)) {
                return false;
            }
        }
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        for (Cidr c : BLOCKED) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    static String bareHost(URI uri) {
        String h = uri.getHost();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static boolean isLiteral(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    /** The URL may not be used; {@code transientFailure} for DNS errors worth retrying. */
    public static final class RefusedException extends Exception {
        private final boolean transientFailure;

        public RefusedException(String message) {
            this(message, false);
        }

        public RefusedException(String message, boolean transientFailure) {
            super(message);
            this.transientFailure = transientFailure;
        }

        public boolean transientFailure() {
            return transientFailure;
        }
    }

    /** An address block, IPv4 or IPv6. */
    record Cidr(byte[] network, int prefix) {

        static List<Cidr> parseAll(List<String> specs) {
            return specs.stream().map(Cidr::parse).toList();
        }

        static Cidr parse(String spec) {
            String[] parts = spec.trim().split("/");
            try {
                byte[] net = InetAddress.getByName(parts[0]).getAddress();
                if (parts[0].contains(":") && net.length == 4) {
                    // Java folds ::ffff:a.b.c.d to IPv4; keep the 16-byte form for IPv6 rules
                    byte[] v6 = new byte[16];
                    v6[10] = (byte) 0xff;
                    v6[11] = (byte) 0xff;
                    System.arraycopy(net, 0, v6, 12, 4);
                    net = v6;
                }
                int prefix = parts.length > 1 ? Integer.parseInt(parts[1]) : net.length * 8;
                if (prefix < 0 || prefix > net.length * 8) {
                    throw new IllegalArgumentException("prefix out of range in " + spec);
                }
                return new Cidr(net, prefix);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("not a CIDR block: \"" + spec + "\" (e.g. 10.0.0.0/8, fd00::/8)", e);
            }
        }

        boolean contains(InetAddress a) {
            byte[] addr = a.getAddress();
            if (addr.length != network.length) {
                if (a instanceof Inet6Address && network.length == 4 && isMappedV4(addr)) {
                    byte[] v4 = new byte[4];
                    System.arraycopy(addr, 12, v4, 0, 4);
                    addr = v4;
                } else {
                    return false;
                }
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (addr[full] & mask) == (network[full] & mask);
        }

        private static boolean isMappedV4(byte[] a) {
            for (int i = 0; i < 10; i++) {
                if (a[i] != 0) {
                    return false;
                }
            }
            return (a[10] == (byte) 0xff && a[11] == (byte) 0xff) || (a[10] == 0 && a[11] == 0);
        }
    }
}
