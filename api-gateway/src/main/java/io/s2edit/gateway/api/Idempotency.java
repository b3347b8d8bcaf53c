package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.type.TypeReference;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.problems.ProblemType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code Idempotency-Key} on POSTs (IETF draft "The Idempotency-Key HTTP Header Field"): the
 * first request with a key on an endpoint records a fingerprint of its content and the jobs it
 * created, in the same transaction as the jobs. Repeating it answers with those jobs (their
 * current state); the same key with different content is refused with 422
 * {@code idempotency-key-reused}. Two identical requests racing both pass the first look-up; the
 * loser's insert violates the primary key and it answers as a repeat.
 */
@ApplicationScoped
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";

    /** Fingerprint of a request: SHA-256 over its parts (strings as UTF-8, byte arrays raw), each length-prefixed. */
    public static String fingerprint(Object... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Object p : parts) {
                byte[] b = p == null ? new byte[0] : p instanceof byte[] bytes ? bytes : p.toString().getBytes(StandardCharsets.UTF_8);
                md.update(Long.toString(p == null ? -1 : b.length).getBytes(StandardCharsets.US_ASCII));
                md.update((byte) ':');
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null, or a valid key (1-255 visible ASCII characters). */
    public static String check(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new ApiException(ProblemType.INVALID_VALUE, HEADER + " must be 1-255 visible ASCII characters", HEADER);
        }
        return key;
    }

    /** The job ids of an earlier request with this key, if any; 422 if its content differed. */
    public Optional<List<UUID>> replay(String key, String scope, String fingerprint) {
        if (key == null) {
            return Optional.empty();
        }
        return QuarkusTransaction.joiningExisting().call(() -> {
            IdempotencyKeyEntity e = IdempotencyKeyEntity.findById(new IdempotencyKeyEntity.Key(key, scope));
            if (e == null) {
                return Optional.empty();
            }
            if (!e.fingerprint.equals(fingerprint)) {
                throw new ApiException(ProblemType.IDEMPOTENCY_KEY_REUSED, HEADER + " \"" + key
                        + "\" was already used on " + scope + " with a different request; use a new key for a new request", HEADER);
            }
            return Optional.of(Messages.mapper().readValue(e.jobIds, new TypeReference<List<UUID>>() { }));
        });
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void remember(String key, String scope, String fingerprint, List<UUID> jobIds) {
        if (key == null) {
            return;
        }
        IdempotencyKeyEntity e = new IdempotencyKeyEntity();
        e.key = new IdempotencyKeyEntity.Key(key, scope);
        e.fingerprint = fingerprint;
        e.jobIds = Messages.encode(jobIds);
        e.createdAt = Instant.now();
        e.persist();
    }
}
