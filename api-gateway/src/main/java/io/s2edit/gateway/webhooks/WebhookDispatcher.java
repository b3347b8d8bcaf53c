package io.s2edit.gateway.webhooks;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.s2edit.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Delivers persisted webhook messages on its own thread, retrying with exponential backoff until
 * a 2xx (services.md, "Webhooks"):
 * <ol>
 *   <li>claim due rows ({@code FOR UPDATE SKIP LOCKED}, so replicas share the work) by pushing
 *       their next attempt one lease ahead, and commit;</li>
 *   <li>per row: resolve and check the address (SSRF rules), sign
 *       {@code {id}.{timestamp}.{body}} with this attempt's timestamp, POST;</li>
 *   <li>2xx: delivered. 410: the endpoint is disabled (all its pending messages stop). Other
 *       answers, 3xx included, and network errors: retry after
 *       {@code initial-backoff * 2^(attempts-1)} capped at {@code max-backoff}, or the receiver's
 *       Retry-After if longer; after {@code give-up-after} the row expires.</li>
 * </ol>
 * A crash between 1 and 3 leaves the claim to expire, and the message is sent again with the
 * same webhook-id.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    private static final int BATCH = 16;

    @Inject
    GatewayConfig config;

    @Inject
    AddressPolicy policy;

    @Inject
    EntityManager em;

    @Inject
    MeterRegistry registry;

    private ScheduledExecutorService scheduler;
    private ExecutorService senders;
    private WebhookClient client;
    private WebhookSigner signer;

    void start(@Observes StartupEvent ev) {
        if (config.webhooks().signingSecret().isEmpty()) {
            LOG.info("webhooks off: s2edit.webhooks.signing-secret is not set");
            return;
        }
        signer = new WebhookSigner(config.webhooks().signingSecret().get());
        client = new WebhookClient(config.webhooks().connectTimeout(), config.webhooks().readTimeout());
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "webhook-dispatcher"));
        senders = Executors.newFixedThreadPool(4, r -> new Thread(r, "webhook-sender"));
        long every = config.webhooks().pollInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (scheduler != null) {
            scheduler.shutdownNow();
            senders.shutdownNow();
        }
    }

    private void tick() {
        try {
            List<Claim> claims;
            do {
                claims = claim();
                List<CompletableFuture<Void>> sends = new ArrayList<>();
                for (Claim c : claims) {
                    sends.add(CompletableFuture.runAsync(() -> deliver(c), senders));
                }
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
            } while (claims.size() == BATCH);
        } catch (Exception e) {
            LOG.warnf("webhook dispatch round failed (retrying next round): %s", e.toString());
        }
    }

    record Claim(String id, String url, String payload, int attempts, Instant createdAt) {
    }

    @SuppressWarnings("unchecked")
    private List<Claim> claim() {
        return QuarkusTransaction.requiringNew().call(() -> {
            Instant now = Instant.now();
            List<WebhookDeliveryEntity> due = em.createNativeQuery(
                            "select * from webhook_deliveries where status = 'pending' and next_attempt_at <= :now "
                                    + "order by next_attempt_at limit :n for update skip locked", WebhookDeliveryEntity.class)
                    .setParameter("now", now)
                    .setParameter("n", BATCH)
                    .getResultList();
            List<Claim> claims = new ArrayList<>();
            for (WebhookDeliveryEntity d : due) {
                if (d.createdAt.plus(config.webhooks().giveUpAfter()).isBefore(now)) {
                    d.status = WebhookDeliveryEntity.EXPIRED;
                    count("expired");
                    continue;
                }
                d.nextAttemptAt = now.plus(config.webhooks().claimLease());
                claims.add(new Claim(d.id, d.url, d.payload, d.attempts, d.createdAt));
            }
            return claims;
        });
    }

    private void deliver(Claim c) {
        WebhookClient.Result result;
        boolean refused = false;
        try {
            URI uri = policy.checkSyntax(c.url());
            InetAddress address = policy.resolve(uri);
            long ts = Instant.now().getEpochSecond();
            Map<String, String> headers = Map.of(
                    "webhook-id", c.id(),
                    "webhook-timestamp", Long.toString(ts),
                    "webhook-signature", signer.sign(c.id(), ts, c.payload()));
            result = client.post(uri, address, headers, c.payload());
        } catch (AddressPolicy.RefusedException e) {
            refused = !e.transientFailure();
            result = new WebhookClient.Result(0, java.util.Optional.empty(), e.getMessage());
        }
        record(c, result, refused);
    }

    private void record(Claim c, WebhookClient.Result r, boolean refused) {
        QuarkusTransaction.requiringNew().run(() -> {
            WebhookDeliveryEntity d = WebhookDeliveryEntity.findById(c.id());
            if (d == null) {
                return;
            }
            Instant now = Instant.now();
            d.attempts++;
            d.lastStatus = r.status() == 0 ? null : r.status();
            d.lastError = r.error();
            if (r.success()) {
                d.status = WebhookDeliveryEntity.DELIVERED;
                d.deliveredAt = now;
                count("delivered");
            } else if (refused) {
                d.status = WebhookDeliveryEntity.REFUSED;
                count("refused");
                LOG.warnf("webhook %s refused: %s", d.id, r.error());
            } else if (r.status() == 410) {
                // 410 Gone: the receiver asks us to stop; every pending message to it stops too
                em.createQuery("update WebhookDeliveryEntity set status = :disabled, lastError = :why "
                                + "where url = :url and status = :pending")
                        .setParameter("disabled", WebhookDeliveryEntity.DISABLED)
                        .setParameter("why", "endpoint answered 410 Gone")
                        .setParameter("url", d.url)
                        .setParameter("pending", WebhookDeliveryEntity.PENDING)
                        .executeUpdate();
                d.status = WebhookDeliveryEntity.DISABLED;
                count("disabled");
            } else {
                Duration wait = backoff(d.attempts, r.retryAfter().orElse(Duration.ZERO));
                d.nextAttemptAt = now.plus(wait);
                count("retry");
                LOG.debugf("webhook %s attempt %d failed (%s); next in %s", d.id, d.attempts, r.error(), wait);
            }
        });
    }

    /** {@code initial * 2^(attempts-1)}, at least Retry-After, at most max-backoff. */
    Duration backoff(int attempts, Duration retryAfter) {
        Duration max = config.webhooks().maxBackoff();
        Duration d = config.webhooks().initialBackoff().multipliedBy(1L << Math.min(30, Math.max(0, attempts - 1)));
        if (d.compareTo(max) > 0 || d.isNegative()) {
            d = max;
        }
        if (retryAfter.compareTo(d) > 0) {
            d = retryAfter.compareTo(max) > 0 ? max : retryAfter;
        }
        return d;
    }

    private void count(String outcome) {
        registry.counter("s2edit.webhook.deliveries", "outcome", outcome).increment();
    }
}
