package io.s2edit.gateway.api;

import io.s2edit.common.problems.ProblemType;
import io.s2edit.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Iterator;

/**
 * Checks an uploaded image and turns it into the PNG that is stored: empty file, size over
 * {@code s2edit.uploads.max-image-bytes}, dimensions over {@code max-image-pixels} (read from the
 * header, before decoding), and anything ImageIO cannot decode are refused with their own
 * problem types.
 */
@ApplicationScoped
public class ImageUploads {

    /** A decoded upload: the original bytes (for fingerprints) and the PNG to store. */
    public record Image(byte[] original, byte[] png, int width, int height) {
    }

    @Inject
    GatewayConfig config;

    /** The raw bytes of a required file part, after the empty and size checks. */
    public byte[] bytes(FileUpload f, String field) {
        if (f == null || f.uploadedFile() == null) {
            throw new ApiException(ProblemType.MISSING_FIELD, field + " is required: send it as a file part", field);
        }
        long size = f.size();
        if (size == 0) {
            throw new ApiException(ProblemType.EMPTY_FILE, field + " \"" + f.fileName() + "\" is empty (0 bytes)", field);
        }
        long max = config.uploads().maxImageBytes();
        if (size > max) {
            throw new ApiException(ProblemType.IMAGE_TOO_LARGE, field + " is " + size + " bytes; the limit is " + max
                    + " (s2edit.uploads.max-image-bytes)", field);
        }
        try {
            return Files.readAllBytes(f.uploadedFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Image decode(byte[] bytes, String field) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw notAnImage(field, "no PNG, JPEG, BMP or GIF signature");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                long max = config.uploads().maxImagePixels();
                if ((long) w * h > max) {
                    throw new ApiException(ProblemType.IMAGE_TOO_LARGE, field + " is " + w + "x" + h + " = " + ((long) w * h)
                            + " pixels; the limit is " + max + " (s2edit.uploads.max-image-pixels)", field);
                }
                BufferedImage img = reader.read(0);
                byte[] png = format.equals("png") ? bytes : toPng(img);
                return new Image(bytes, png, w, h);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            throw notAnImage(field, "it cannot be decoded (" + e.getMessage() + ")");
        }
    }

    private static byte[] toPng(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", out)) {
            throw new IOException("no PNG writer for this image type");
        }
        return out.toByteArray();
    }

    private static ApiException notAnImage(String field, String why) {
        return new ApiException(ProblemType.NOT_AN_IMAGE, field + " is not a supported image: " + why, field);
    }
}
