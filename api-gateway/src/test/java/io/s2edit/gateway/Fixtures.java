package io.s2edit.gateway;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;

/** Requests and images shared by the tests. */
final class Fixtures {

    static final String PROMPT = "a photo of a [I] lady";
    static final String OBJECT = "lady";

    private Fixtures() {
    }

    /** A small PNG with a gradient, distinct per {@code seed}. */
    static byte[] png(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        for (int y = 0; y < h; y++) {
            g.setColor(new Color((y * 4 + seed) % 256, (seed * 31) % 256, 128));
            g.drawLine(0, y, w, y);
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The usual text fields of POST /v1/identities; callers add or override. */
    static Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("source_prompt", PROMPT);
        f.put("object_word", OBJECT);
        return f;
    }

    static RequestSpecification multipart(Map<String, String> fields, String fileField, byte[] file) {
        RequestSpecification r = given();
        if (file != null) {
            r = r.multiPart(fileField, "upload.png", file, "image/png");
        }
        for (Map.Entry<String, String> e : fields.entrySet()) {
            r = r.multiPart(e.getKey(), e.getValue());
        }
        return r;
    }

    static Response postIdentity(Map<String, String> fields, byte[] image) {
        return multipart(fields, "image", image).when().post("/v1/identities");
    }
}
