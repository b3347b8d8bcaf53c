package io.s2edit.gateway.webhooks;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/**
 * One webhook message and its delivery state. {@code id} is the {@code webhook-id} header; the
 * row survives restarts, so retries continue after one.
 */
@Entity
@Table(name = "webhook_deliveries")
public class WebhookDeliveryEntity extends PanacheEntityBase {

    public static final String PENDING = "pending";
    public static final String DELIVERED = "delivered";
    /** The receiver answered 410 Gone: the endpoint is off. */
    public static final String DISABLED = "disabled";
    /** The URL broke the SSRF rules at delivery time. */
    public static final String REFUSED = "refused";
    /** Still failing after give-up-after. */
    public static final String EXPIRED = "expired";

    @Id
    public String id;

    @Column(name = "job_id", nullable = false)
    public UUID jobId;

    @Column(nullable = false)
    public String event;

    @Column(nullable = false)
    public String url;

    @Column(nullable = false)
    public String payload;

    @Column(nullable = false)
    public String status;

    @Column(nullable = false)
    public int attempts;

    @Column(name = "next_attempt_at", nullable = false)
    public Instant nextAttemptAt;

    @Column(name = "last_status")
    public Integer lastStatus;

    @Column(name = "last_error")
    public String lastError;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "delivered_at")
    public Instant deliveredAt;
}
