package io.s2edit.deploy.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.deploy.CommandLine;
import io.s2edit.deploy.client.GatewayClient.Part;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./s2edit edit}: submits the whole chain (fine-tune, inversion, one edit job with every
 * target prompt) in one {@code POST /v1/identities}, follows each job's event stream with a
 * progress bar, and saves the edited images ({@code 0.png, 1.png, ...}, one per {@code --target})
 * and the object mask ({@code object-mask.png}) into {@code --out}. A job that fails ends the
 * command with status 1 and the job's reason.
 */
public final class EditCommand {

    /** The options of {@code ./s2edit edit-local} but {@code --model} (the server has it), plus server and webhook. */
    static final Set<String> VALUED = Set.of("server", "image", "source", "object", "target", "mask", "finetune-steps",
            "mask-steps", "steps", "inner-steps", "guidance", "seed", "lr", "lambda", "mask-threshold", "cross-replace",
            "self-replace", "blend", "blend-threshold", "out", "webhook");
    static final Set<String> FLAGS = Set.of("no-finetune", "no-semantic", "no-spatial");

    private final PrintStream out;
    private final PrintStream err;

    public EditCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** The parsed command line: what is submitted. A null option is left to the server (the paper's value). */
    public record Request(URI server, Path image, Path mask, String source, String object, List<String> targets, Integer fineTuneSteps,
                   Integer steps, Double guidance, Long seed, boolean fineTune, boolean semantic, boolean spatial, Path out,
                   String webhook, Tuning tuning) {
        public Request(URI server, Path image, Path mask, String source, String object, List<String> targets, Integer fineTuneSteps,
                       Integer steps, Double guidance, Long seed, boolean fineTune, boolean semantic, boolean spatial, Path out,
                       String webhook) {
            this(server, image, mask, source, object, targets, fineTuneSteps, steps, guidance, seed, fineTune, semantic, spatial,
                    out, webhook, Tuning.NONE);
        }
    }

    /**
     * The finer options: learning rate, lambda, the mask's threshold and DDIM-inversion steps, the
     * inversion's Null-text iterations per step, Prompt-to-Prompt windows, local blend. Null: the server's default.
     */
    public record Tuning(Double learningRate, Double lambda, Double maskThreshold, Integer maskSteps, Integer innerSteps,
                         Double crossReplace, Double selfReplace, List<String> blend, Double blendThreshold) {
        public static final Tuning NONE = new Tuning(null, null, null, null, null, null, null, List.of(), null);
    }

    /** What became of a request: the exit status, the identity and its jobs (chain order), the files written. */
    public record Outcome(int status, String identityId, List<String> jobIds, List<Path> saved) {
    }

    public int run(String[] argv) throws IOException, InterruptedException {
        return submitAndWait(parse(argv)).status();
    }

    static Request parse(String[] argv) {
        CommandLine cl = new CommandLine("edit", argv, VALUED, FLAGS);
        List<String> targets = cl.all("target");
        if (targets.isEmpty()) {
            throw cl.usage("edit: at least one --target is required");
        }
        return new Request(URI.create(cl.get("server", "http://localhost:8080")), Path.of(cl.require("image")),
                cl.has("mask") ? Path.of(cl.require("mask")) : null, cl.require("source"), cl.require("object"), targets,
                cl.integer("finetune-steps", 1, 5000), cl.integer("steps", 1, 1000), cl.decimal("guidance", 1, 20),
                cl.longInteger("seed"), !cl.has("no-finetune"), !cl.has("no-semantic"), !cl.has("no-spatial"),
                Path.of(cl.require("out")), cl.get("webhook", null),
                new Tuning(cl.decimal("lr", 1e-12, 1e-2), cl.decimal("lambda", 0, 10), cl.decimal("mask-threshold", 0.01, 0.99),
                        cl.integer("mask-steps", 1, 1000), cl.integer("inner-steps", 0, 100), cl.decimal("cross-replace", 0, 1),
                        cl.decimal("self-replace", 0, 1), cl.all("blend"), cl.decimal("blend-threshold", 0.01, 0.99)));
    }

    /** The multipart parts of {@code POST /v1/identities} for {@code r}. */
    public static List<Part> parts(Request r) {
        Map<String, Object> options = GatewayClient.map();
        if (r.fineTuneSteps() != null) {
            options.put("steps", r.fineTuneSteps());
        }
        if (r.seed() != null) {
            options.put("seed", r.seed());
        }
        if (!r.fineTune()) {
            options.put("identity_fine_tune", false);
        }
        if (!r.semantic()) {
            options.put("semantic_loss", false);
        }
        if (!r.spatial()) {
            options.put("spatial_control", false);
        }
        Tuning t = r.tuning();
        putIfSet(options, "learning_rate", t.learningRate());
        putIfSet(options, "semantic_loss_weight", t.lambda());
        putIfSet(options, "mask_threshold", t.maskThreshold());
        putIfSet(options, "mask_steps", t.maskSteps());
        Map<String, Object> invert = GatewayClient.map();
        if (r.steps() != null) {
            invert.put("steps", r.steps());
        }
        if (r.guidance() != null) {
            invert.put("guidance", r.guidance());
        }
        putIfSet(invert, "inner_steps", t.innerSteps());
        Map<String, Object> edit = GatewayClient.map();
        edit.put("target_prompts", r.targets());
        if (r.seed() != null) {
            edit.put("seed", r.seed());
        }
        putIfSet(edit, "cross_replace_steps", t.crossReplace());
        putIfSet(edit, "self_replace_steps", t.selfReplace());
        if (!t.blend().isEmpty()) {
            Map<String, Object> blend = GatewayClient.map();
            blend.put("words", t.blend());
            putIfSet(blend, "threshold", t.blendThreshold());
            edit.put("local_blend", blend);
        }
        List<Part> parts = new ArrayList<>();
        parts.add(Part.file("image", r.image(), contentType(r.image())));
        if (r.mask() != null) {
            parts.add(Part.file("mask", r.mask(), contentType(r.mask())));
        }
        parts.add(Part.text("source_prompt", r.source()));
        parts.add(Part.text("object_word", r.object()));
        parts.add(Part.text("options", GatewayClient.toJson(options)));
        parts.add(Part.text("invert", GatewayClient.toJson(invert)));
        parts.add(Part.text("edits", GatewayClient.toJson(List.of(edit))));
        if (r.webhook() != null) {
            parts.add(Part.text("webhook", r.webhook()));
        }
        return parts;
    }

    public Outcome submitAndWait(Request r) throws IOException, InterruptedException {
        for (Path p : r.mask() == null ? List.of(r.image()) : List.of(r.image(), r.mask())) {
            if (!Files.isRegularFile(p)) {
                throw new IOException(p + " is not a file");
            }
        }
        GatewayClient gateway = new GatewayClient(r.server());
        JsonNode submitted = gateway.postMultipart("v1/identities", parts(r), null);
        List<JsonNode> jobs = new ArrayList<>();
        submitted.path("jobs").forEach(jobs::add);
        String identityId = submitted.path("identity_id").asText();
        List<String> jobIds = jobs.stream().map(j -> j.path("id").asText()).toList();
        ProgressLine progress = new ProgressLine(err, System.console() != null);
        progress.say("submitted identity " + submitted.path("identity_id").asText() + ": "
                + String.join(" -> ", jobs.stream().map(j -> j.path("kind").asText() + " " + j.path("id").asText()).toList()));
        JsonNode fineTune = null;
        JsonNode last = null;
        for (JsonNode j : jobs) {
            String id = j.path("id").asText();
            String kind = j.path("kind").asText();
            JsonNode end = gateway.follow(id, (event, data) -> {
                if (event.equals("progress")) {
                    progress.update(kind, data.path("stage").asText(kind), data.path("step").asInt(), data.path("total").asInt());
                } else if (event.equals("status")) {
                    JsonNode p = data.path("progress");
                    if (p.isObject()) {
                        progress.update(kind, p.path("stage").asText(kind), p.path("step").asInt(), p.path("total").asInt());
                    }
                }
            });
            String status = end.path("status").asText();
            if (!status.equals("succeeded")) {
                progress.say("s2edit edit: " + kind + " job " + id + " " + status + ": "
                        + end.path("error").path("reason").asText("(no reason given)"));
                return new Outcome(1, identityId, jobIds, List.of());
            }
            progress.say(String.format(Locale.ROOT, "%s job %s succeeded in %.1f s", kind, id,
                    end.path("metrics").path("predict_time").asDouble()));
            if (kind.equals("finetune")) {
                fineTune = end;
            }
            last = end;
        }
        Files.createDirectories(r.out());
        List<Path> saved = new ArrayList<>();
        for (Iterator<String> names = last.path("outputs").fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.endsWith(".png")) {
                Path target = r.out().resolve(name);
                gateway.download(last.path("id").asText(), name, target);
                saved.add(target);
            }
        }
        if (fineTune != null && fineTune.path("outputs").has("object-mask.png")) {
            Path target = r.out().resolve("object-mask.png");
            gateway.download(fineTune.path("id").asText(), "object-mask.png", target);
            saved.add(target);
        }
        saved.sort(null);
        saved.forEach(p -> out.println("wrote " + p));
        return new Outcome(0, identityId, jobIds, saved);
    }

    private static void putIfSet(Map<String, Object> json, String name, Object value) {
        if (value != null) {
            json.put(name, value);
        }
    }

    private static String contentType(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".png")) {
            return "image/png";
        }
        if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (n.endsWith(".bmp")) {
            return "image/bmp";
        }
        if (n.endsWith(".gif")) {
            return "image/gif";
        }
        return "application/octet-stream";
    }
}
