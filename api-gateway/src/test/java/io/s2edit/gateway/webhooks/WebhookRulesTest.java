package io.s2edit.gateway.webhooks;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signing, SSRF address rules and Retry-After parsing, without a server. */
class WebhookRulesTest {

    @Test
    void signatureMatchesTheStandardWebhooksVector() {
        // the example of the Standard Webhooks specification (also checked with Python's hmac)
        WebhookSigner signer = new WebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}"));
        assertThrows(IllegalArgumentException.class, () -> new WebhookSigner("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    }

    @Test
    void nonPublicAddressesAreBlocked() throws Exception {
        AddressPolicy p = new AddressPolicy(List.of());
        for (String a : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "ff02::1")) {
            assertTrue(p.isBlocked(InetAddress.getByName(a)), a);
        }
        for (String a : List.of("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1", "172.32.0.1")) {
            assertFalse(p.isBlocked(InetAddress.getByName(a)), a);
        }
    }

    @Test
    void allowListExemptsANetwork() throws Exception {
        AddressPolicy p = new AddressPolicy(List.of("127.0.0.0/8", "fd00::/8"));
        assertFalse(p.isBlocked(InetAddress.getByName("127.0.0.1")));
        assertFalse(p.isBlocked(InetAddress.getByName("fd00::5")));
        assertTrue(p.isBlocked(InetAddress.getByName("10.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> new AddressPolicy(List.of("not-a-cidr/8")));
    }

    @Test
    void urlRules() throws Exception {
        AddressPolicy p = new AddressPolicy(List.of());
        assertThrows(AddressPolicy.RefusedException.class, () -> p.checkAtSubmit("ftp://example.com/x"));
        assertThrows(AddressPolicy.RefusedException.class, () -> p.checkAtSubmit("http://user:pw@example.com/x"));
        assertThrows(AddressPolicy.RefusedException.class, () -> p.checkAtSubmit("http://localhost:8080/x"));
        assertThrows(AddressPolicy.RefusedException.class, () -> p.checkAtSubmit("http://[::1]/x"));
        assertThrows(AddressPolicy.RefusedException.class, () -> p.checkAtSubmit("http://2130706433/x"));
        // a name is checked when delivering (DNS may change): accepted here
        p.checkAtSubmit("https://hooks.example.com/s2edit?x=1");
        assertEquals("hooks.example.com", AddressPolicy.bareHost(URI.create("https://hooks.example.com/")));
    }

    @Test
    void retryAfterInSecondsOrAsADate() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), WebhookClient.parseRetryAfter("120"));
        assertEquals(Optional.of(Duration.ZERO), WebhookClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
        assertEquals(Optional.empty(), WebhookClient.parseRetryAfter("soon"));
    }
}
