package io.s2edit.deploy.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub download against a local server that answers the way huggingface.co does ({@link FakeHub}). */
class HubDownloaderTest {

    private static final Path TINY = Path.of(System.getProperty("s2edit.root", ".."), "gpu-worker/src/test/resources/reference/tiny");

    @TempDir
    Path cache;
    private FakeHub hub;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub(TINY);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubDownloader downloader(String token, boolean offline) {
        return new HubDownloader(hub.endpoint(), token, cache, offline, new PrintStream(log, true));
    }

    private Path blobs() {
        return cache.resolve("models--org--tiny/blobs");
    }

    @Test
    void fetchesTheEngineFilesIntoTheStandardCacheLayout() throws Exception {
        Path snapshot = downloader("hf_secret", false).download(FakeHub.REPO, "main");

        Path repo = cache.resolve("models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(FakeHub.COMMIT), snapshot);
        assertEquals(FakeHub.COMMIT, Files.readString(repo.resolve("refs/main")));
        int engineFiles = 0;
        for (Map.Entry<String, byte[]> f : hub.files.entrySet()) {
            Path p = snapshot.resolve(f.getKey());
            if (!HubDownloader.wanted(f.getKey())) {
                assertFalse(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), "not fetched: " + f.getKey());
                continue;
            }
            engineFiles++;
            assertTrue(Files.isSymbolicLink(p), f.getKey());
            Path target = Files.readSymbolicLink(p);
            assertFalse(target.isAbsolute(), "relative link " + target);
            assertEquals(blobs(), p.getParent().resolve(target).normalize().getParent());
            assertArrayEquals(f.getValue(), Files.readAllBytes(p), f.getKey());
            if (f.getKey().endsWith(".safetensors")) {
                assertEquals(FakeHub.sha256(f.getValue()), target.getFileName().toString(), "LFS blobs are named by SHA-256");
            }
        }
        assertTrue(engineFiles >= 10, "model_index.json and the five components: " + engineFiles);
        assertTrue(Files.isRegularFile(snapshot.resolve("unet/diffusion_pytorch_model.safetensors")));
        assertTrue(Files.isRegularFile(snapshot.resolve("tokenizer/vocab.json")));

        // the token goes to the hub, never to the CDN the hub redirects to (its URL is pre-signed)
        assertTrue(hub.on("hub").stream().allMatch(r -> "Bearer hf_secret".equals(r.authorization())), hub.on("hub")::toString);
        assertFalse(hub.on("cdn").isEmpty());
        assertTrue(hub.on("cdn").stream().allMatch(r -> r.authorization() == null), hub.on("cdn")::toString);
        // nothing the engine does not read was requested
        assertTrue(hub.requests.stream().noneMatch(r -> r.path().endsWith(".bin") || r.path().endsWith(".ckpt")
                || r.path().contains("fp16") || r.path().contains("safety_checker")), hub.requests::toString);
    }

    @Test
    void resumesAnInterruptedDownloadWithARangeRequest() throws Exception {
        byte[] unet = Files.readAllBytes(TINY.resolve("unet/diffusion_pytorch_model.safetensors"));
        String sha = FakeHub.sha256(unet);
        Files.createDirectories(blobs());
        int half = unet.length / 2;
        Files.write(blobs().resolve(sha + ".incomplete"), Arrays.copyOf(unet, half));

        Path snapshot = downloader(null, false).download(FakeHub.REPO, "main");

        assertArrayEquals(unet, Files.readAllBytes(snapshot.resolve("unet/diffusion_pytorch_model.safetensors")));
        assertTrue(hub.on("cdn").stream().anyMatch(r -> r.path().endsWith(sha) && ("bytes=" + half + "-").equals(r.range())),
                hub.on("cdn")::toString);
        assertFalse(Files.exists(blobs().resolve(sha + ".incomplete")));
        assertTrue(log.toString().contains("resuming unet/diffusion_pytorch_model.safetensors"), log::toString);
    }

    @Test
    void aSecondDownloadReusesTheCache() throws Exception {
        downloader(null, false).download(FakeHub.REPO, "main");
        int before = hub.requests.size();
        Path snapshot = downloader(null, false).download(FakeHub.REPO, "main");
        List<FakeHub.Request> after = hub.requests.subList(before, hub.requests.size());
        assertEquals(1, after.size(), "only the revision lookup: " + after);
        assertTrue(after.get(0).path().startsWith("/api/models/"));
        assertTrue(log.toString().contains("0 downloaded"), log::toString);

        // offline (HF_HUB_OFFLINE, or the hub unreachable): the cached snapshot as it is
        hub.close();
        assertEquals(snapshot, downloader(null, true).download(FakeHub.REPO, "main"));
        assertEquals(snapshot, downloader(null, false).download(FakeHub.REPO, "main"));
    }

    @Test
    void refusalsAndMissingModelsSayWhatToDo() {
        hub.requiredToken = "hf_right";
        IOException denied = assertThrows(IOException.class, () -> downloader("hf_wrong", false).download(FakeHub.REPO, "main"));
        assertTrue(denied.getMessage().contains("HF_TOKEN"), denied.getMessage());
        hub.requiredToken = null;
        IOException missing = assertThrows(IOException.class, () -> downloader(null, false).download("org/other", "main"));
        assertTrue(missing.getMessage().contains("404"), missing.getMessage());
        IOException offline = assertThrows(IOException.class, () -> downloader(null, true).download(FakeHub.REPO, "main"));
        assertTrue(offline.getMessage().contains("not in the cache"), offline.getMessage());
        assertThrows(IllegalArgumentException.class, () -> downloader(null, false).download("../etc", "main"));
    }
}
