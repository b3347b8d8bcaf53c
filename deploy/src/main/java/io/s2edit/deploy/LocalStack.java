package io.s2edit.deploy;

import io.s2edit.common.messages.Topics;
import io.s2edit.testsupport.KafkaServer;
import io.s2edit.testsupport.Ports;
import io.s2edit.testsupport.PostgresServer;
import io.s2edit.testsupport.S3Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The whole s2edit cluster on one machine, no Docker: real PostgreSQL, Kafka (KRaft) and S3
 * (s3proxy on the file system) servers from s2edit-test-support, with their data under one folder
 * so a restart keeps jobs and artifacts; then the packaged gateway and a worker as child
 * processes configured by environment variables only, exactly as the Helm chart configures them.
 *
 * <pre>
 * data/
 *   stack.properties   ports and the webhook signing secret, chosen on the first start
 *   postgres/          PostgreSQL data directory and log
 *   kafka/logs/        Kafka log directory (and kafka/kafka-cluster-id)
 *   s3/buckets/        the objects (s3proxy's file-system back end)
 *   work/              the worker's job folders
 *   logs/              gateway.log, worker-*.log
 * </pre>
 */
public final class LocalStack implements AutoCloseable {

    public static final String BUCKET = "s2edit";
    public static final String DATABASE = "s2edit";
    /** Partitions of the job and event topics (at least the largest worker pool). */
    public static final int PARTITIONS = 2;

    /**
     * @param root        the repository (where the packaged applications are)
     * @param model       the base checkpoint the worker loads
     * @param data        where everything persistent lives
     * @param port        the gateway's HTTP port
     * @param workerJvmArgs extra JVM arguments of workers (system properties such as
     *                    {@code -Dkafka.session.timeout.ms=6000})
     */
    public record Options(Path root, Path model, Path data, int port, List<String> workerJvmArgs) {
        public Options {
            root = root.toAbsolutePath().normalize();
            model = model.toAbsolutePath().normalize();
            data = data.toAbsolutePath().normalize();
            workerJvmArgs = List.copyOf(workerJvmArgs);
        }
    }

    private final Options options;
    private final PrintStream out;
    private final Properties state;
    private final List<AppProcess> workers = new ArrayList<>();
    private PostgresServer postgres;
    private KafkaServer kafka;
    private S3Server s3;
    private AppProcess gateway;
    private boolean closed;

    private LocalStack(Options options, PrintStream out, Properties state) {
        this.options = options;
        this.out = out;
        this.state = state;
    }

    /** Starts the servers, the gateway and one worker; on failure whatever started is stopped again. */
    public static LocalStack start(Options options, PrintStream out) throws IOException {
        Files.createDirectories(options.data());
        Properties state = loadState(options.data());
        LocalStack stack = new LocalStack(options, out, state);
        try {
            stack.startAll();
            return stack;
        } catch (IOException | RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() throws IOException {
        Path data = options.data();
        int pgPort = port("postgres.port");
        int kafkaPort = port("kafka.port");
        int controllerPort = port("kafka.controller-port");
        int s3Port = port("s3.port");
        port("worker.port");
        secret();
        saveState();

        out.println("s2edit: starting PostgreSQL on 127.0.0.1:" + pgPort + " ...");
        postgres = PostgresServer.start(data.resolve("postgres"), false, pgPort, DATABASE);
        out.println("s2edit: starting Kafka on 127.0.0.1:" + kafkaPort + " ...");
        kafka = KafkaServer.startPersistent(data.resolve("kafka").resolve("logs"), kafkaPort, controllerPort);
        createTopics();
        out.println("s2edit: starting S3 (s3proxy) on 127.0.0.1:" + s3Port + " ...");
        s3 = S3Server.start(data.resolve("s3"), false, s3Port);

        out.println("s2edit: starting the gateway on port " + options.port() + " ...");
        gateway = AppProcess.start("gateway", options.root().resolve("api-gateway/target/quarkus-app/quarkus-run.jar"),
                List.of("-Xmx768m"), gatewayEnv(), data.resolve("logs").resolve("gateway.log"),
                URI.create("http://127.0.0.1:" + options.port()));
        AppProcess worker = startWorker("worker-1", Integer.parseInt(state.getProperty("worker.port")));
        gateway.awaitReady(Duration.ofSeconds(180));
        worker.awaitReady(Duration.ofSeconds(180));
    }

    /**
     * Starts one more worker (same group: Kafka shares the partitions among them) on a free port,
     * with {@code extraJvmArgs} after the stack's (e.g. {@code -Ds2edit.shutdown-grace=2s}).
     */
    public AppProcess startWorker(String name, String... extraJvmArgs) throws IOException {
        return startWorker(name, Ports.free(), extraJvmArgs);
    }

    private AppProcess startWorker(String name, int httpPort, String... extraJvmArgs) throws IOException {
        Map<String, String> env = new LinkedHashMap<>(storageEnv());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("S2EDIT_MODEL_DIR", options.model().toString());
        env.put("S2EDIT_WORKER_WORK_DIR", options.data().resolve("work").toString());
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
        jvm.addAll(options.workerJvmArgs());
        jvm.addAll(List.of(extraJvmArgs));
        AppProcess w = AppProcess.start(name, options.root().resolve("gpu-worker/target/quarkus-app/quarkus-run.jar"), jvm, env,
                options.data().resolve("logs").resolve(name + ".log"), URI.create("http://127.0.0.1:" + httpPort));
        synchronized (workers) {
            workers.add(w);
        }
        return w;
    }

    private Map<String, String> gatewayEnv() {
        Map<String, String> env = new LinkedHashMap<>(storageEnv());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(options.port()));
        // loopback only: webhooks to loopback are allowed below, the API must not be a relay for others
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_BODY_UPLOADS_DIRECTORY", options.data().resolve("uploads").toString());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl(DATABASE));
        env.put("QUARKUS_DATASOURCE_USERNAME", PostgresServer.SUPERUSER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", "unused-trust-auth");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("S2EDIT_WEBHOOKS_SIGNING_SECRET", secret());
        env.put("S2EDIT_WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.0/8");
        env.put("S2EDIT_PUBLIC_URL", gatewayUrl().toString());
        env.put("S2EDIT_OUTBOX_TOPIC_PARTITIONS", Integer.toString(PARTITIONS));
        // the worker's tokenizer, so a prompt over CLIP's 77 tokens is a 422 at submission, not a failed job
        Path tokenizer = options.model().resolve("tokenizer");
        if (Files.isDirectory(tokenizer)) {
            env.put("S2EDIT_TOKENIZER_DIR", tokenizer.toString());
        }
        return env;
    }

    private Map<String, String> storageEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("S2EDIT_STORAGE_ENDPOINT", s3.endpoint());
        env.put("S2EDIT_STORAGE_ACCESS_KEY", S3Server.ACCESS_KEY);
        env.put("S2EDIT_STORAGE_SECRET_KEY", S3Server.SECRET_KEY);
        env.put("S2EDIT_STORAGE_REGION", S3Server.REGION);
        env.put("S2EDIT_STORAGE_BUCKET", BUCKET);
        env.put("S2EDIT_STORAGE_PATH_STYLE", "true");
        return env;
    }

    /** The job, cancel and event topics with {@link #PARTITIONS} partitions, before any client subscribes. */
    private void createTopics() throws IOException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            for (String topic : List.of(Topics.FINETUNE, Topics.INVERT, Topics.EDIT, Topics.CANCEL, Topics.JOB_EVENTS)) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IOException("could not create Kafka topic " + topic + ": " + e.getCause(), e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating the topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("Kafka did not create the topics within 60 s", e);
        }
    }

    public URI gatewayUrl() {
        return URI.create("http://localhost:" + options.port());
    }

    public String webhookSecret() {
        return secret();
    }

    public PostgresServer postgres() {
        return postgres;
    }

    public KafkaServer kafka() {
        return kafka;
    }

    public S3Server s3() {
        return s3;
    }

    public AppProcess gateway() {
        return gateway;
    }

    public List<AppProcess> workers() {
        synchronized (workers) {
            return List.copyOf(workers);
        }
    }

    public Options options() {
        return options;
    }

    /** What a person needs to use the stack. */
    public String describe() {
        URI api = gatewayUrl();
        AppProcess w = workers().isEmpty() ? null : workers().get(0);
        return String.join("\n",
                "s2edit is up. Data: " + options.data() + " (logs in " + options.data().resolve("logs") + ")",
                "  API         " + api + "/v1      OpenAPI " + api + "/q/openapi",
                "  health      " + api + "/q/health   metrics " + api + "/q/metrics",
                "  worker      " + (w == null ? "-" : w.baseUrl() + "/q/health") + "   model " + options.model(),
                "  PostgreSQL  " + postgres.jdbcUrl(DATABASE) + " (user " + PostgresServer.SUPERUSER + ", trust)",
                "  Kafka       " + kafka.bootstrapServers(),
                "  S3          " + s3.endpoint() + " bucket " + BUCKET + " (access key " + S3Server.ACCESS_KEY + ", secret "
                        + S3Server.SECRET_KEY + ")",
                "  webhooks    signed with " + secret() + " (loopback receivers allowed)",
                "Try: ./s2edit edit --server " + api + " --image IMG --source \"a photo of a [I] cat\" --object cat"
                        + " --target \"a photo of a [I] cat wearing a hat\" --out out/edit",
                "Ctrl-C stops everything.");
    }

    /** Stops the workers (SIGTERM: the current job finishes or is abandoned), the gateway, then the servers. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AppProcess w : workers()) {
            w.stop(Duration.ofSeconds(40));
        }
        if (gateway != null) {
            gateway.stop(Duration.ofSeconds(30));
        }
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    // --- persistent settings: the same ports and secret after a restart ---

    private static Properties loadState(Path data) throws IOException {
        Properties p = new Properties();
        Path file = data.resolve("stack.properties");
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        return p;
    }

    private void saveState() {
        try (OutputStream o = Files.newOutputStream(options.data().resolve("stack.properties"))) {
            state.store(o, "s2edit local stack: ports and secrets chosen on the first start (delete to choose again)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int port(String key) {
        String v = state.getProperty(key);
        if (v == null) {
            v = Integer.toString(Ports.free());
            state.setProperty(key, v);
        }
        return Integer.parseInt(v);
    }

    private String secret() {
        String v = state.getProperty("webhooks.signing-secret");
        if (v == null) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            v = "whsec_" + Base64.getEncoder().encodeToString(key);
            state.setProperty("webhooks.signing-secret", v);
        }
        return v;
    }
}
