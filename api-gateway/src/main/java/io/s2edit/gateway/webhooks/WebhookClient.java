package io.s2edit.gateway.webhooks;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A minimal HTTP/1.1 POST over a socket connected to an address the {@link AddressPolicy}
 * already checked, so DNS cannot change between check and connect. For https the TLS layer
 * still verifies the certificate against the host name (SNI and endpoint identification).
 * Redirects are never followed: 3xx is a failed delivery.
 */
public class WebhookClient {

    private static final int MAX_HEADER_BYTES = 64 * 1024;

    /** What the receiver answered, or why nothing was answered. */
    public record Result(int status, Optional<Duration> retryAfter, String error) {
        public boolean success() {
            return status >= 200 && status < 300;
        }
    }

    private final Duration connectTimeout;
    private final Duration readTimeout;

    public WebhookClient(Duration connectTimeout, Duration readTimeout) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    public Result post(URI uri, InetAddress address, Map<String, String> headers, String body) {
        boolean tls = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        String host = AddressPolicy.bareHost(uri);
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(address, port), (int) connectTimeout.toMillis());
            plain.setSoTimeout((int) readTimeout.toMillis());
            Socket socket = tls ? upgrade(plain, host, port) : plain;
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            StringBuilder req = new StringBuilder()
                    .append("POST ").append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(uri.getHost()).append(uri.getPort() > 0 ? ":" + uri.getPort() : "").append("\r\n")
                    .append("User-Agent: s2edit-webhooks/1\r\n")
                    .append("Content-Type: application/json\r\n")
                    .append("Content-Length: ").append(payload.length).append("\r\n")
                    .append("Connection: close\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            return readResponse(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            return new Result(0, Optional.empty(), e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Socket upgrade(Socket plain, String host, int port) throws IOException {
        SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.matches("[0-9.]+") && !host.contains(":")) {
            params.setServerNames(List.of(new SNIHostName(host)));
        }
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        return ssl;
    }

    /** Status line and headers only; 1xx interim answers are skipped. */
    private static Result readResponse(InputStream in) throws IOException {
        while (true) {
            String statusLine = readLine(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                return new Result(0, Optional.empty(), "not an HTTP response: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Optional<Duration> retryAfter = Optional.empty();
            String line;
            while (!(line = readLine(in)).isEmpty()) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Retry-After")) {
                    retryAfter = parseRetryAfter(line.substring(colon + 1).trim());
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            return new Result(status, retryAfter, status >= 200 && status < 300 ? null : "HTTP " + status);
        }
    }

    static Optional<Duration> parseRetryAfter(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT));
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (Exception e) {
                return Optional.empty();
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int total = 0;
        int c;
        while ((c = in.read()) != -1) {
            if (++total > MAX_HEADER_BYTES) {
                throw new IOException("response header too large");
            }
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') {
                    b.setLength(len - 1);
                }
                return b.toString();
            }
            b.append((char) c);
        }
        if (b.length() == 0) {
            throw new IOException("connection closed before a response");
        }
        return b.toString();
    }
}
