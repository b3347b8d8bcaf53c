package io.s2edit.gateway.api;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** The first answer to an {@code Idempotency-Key} on one endpoint: which jobs it created. */
@Entity
@Table(name = "idempotency_keys")
public class IdempotencyKeyEntity extends PanacheEntityBase {

    @EmbeddedId
    public Key key;

    @Column(nullable = false)
    public String fingerprint;

    @Column(name = "job_ids", nullable = false)
    public String jobIds;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Embeddable
    public static class Key implements Serializable {
        @Column(name = "idem_key")
        public String idemKey;

        @Column(name = "scope")
        public String scope;

        public Key() {
        }

        public Key(String idemKey, String scope) {
            this.idemKey = idemKey;
            this.scope = scope;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.idemKey.equals(idemKey) && k.scope.equals(scope);
        }

        @Override
        public int hashCode() {
            return Objects.hash(idemKey, scope);
        }
    }
}
