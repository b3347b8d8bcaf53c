package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.s2edit.common.problems.ApiProblem;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.ProblemType;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.stream.Collectors;

/**
 * The one place where exceptions become RFC 9457 problem details
 * ({@code application/problem+json}, {@link ApiProblem}): domain refusals
 * ({@link ApiException}, {@link InvalidValueException} from the message records), JSON that
 * does not parse or bind, JAX-RS' own errors, and anything unexpected (500, logged).
 */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response api(ApiException e, UriInfo uri) {
        return problem(ApiProblem.of(e.type(), e.getMessage(), path(uri), e.field()));
    }

    @ServerExceptionMapper
    public Response invalid(InvalidValueException e, UriInfo uri) {
        return problem(ApiProblem.of(e.type(), e.getMessage(), path(uri), e.field()));
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e, UriInfo uri) {
        return api(fromJson(e, null), uri);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return api(fromJson(j, null), uri);
        }
        if (e.getCause() instanceof InvalidValueException iv) {
            return invalid(iv, uri);
        }
        int status = e.getResponse().getStatus();
        if (e instanceof NotSupportedException) {
            return problem(ApiProblem.of(ProblemType.UNSUPPORTED_MEDIA_TYPE, e.getMessage(), path(uri), null));
        }
        String detail = e instanceof NotFoundException ? "no resource at this path"
                : e instanceof NotAllowedException ? "method not allowed here; allowed: " + e.getResponse().getAllowedMethods()
                : e.getMessage();
        Response.StatusType st = Response.Status.fromStatusCode(status);
        String title = st == null ? "HTTP " + status : st.getReasonPhrase();
        if (status < 400) {
            return e.getResponse();
        }
        return problem(new ApiProblem("about:blank", title, status, detail, path(uri), null));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e, UriInfo uri) {
        if (e.getCause() instanceof InvalidValueException iv) {
            return invalid(iv, uri);
        }
        LOG.errorf(e, "unexpected error on %s", path(uri));
        return problem(ApiProblem.of(ProblemType.INTERNAL_ERROR, "unexpected error; it was logged", path(uri), null));
    }

    /** JSON problems, shared with the multipart parsers (which know the part name). */
    static ApiException fromJson(JsonProcessingException e, String part) {
        if (e instanceof ValueInstantiationException vi && vi.getCause() instanceof InvalidValueException iv) {
            // a multipart JSON part is named by the part, a JSON body by the path to the refused object
            String at = part == null ? path(vi) : part;
            return new ApiException(iv.type(), iv.getMessage(), at.isEmpty() ? iv.field() : at + "." + iv.field());
        }
        String where = part == null ? "" : " in part \"" + part + "\"";
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : "; known: "
                    + u.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
            return new ApiException(ProblemType.INVALID_VALUE, "unknown field \"" + u.getPropertyName() + "\"" + where + known,
                    qualify(part, path(u)));
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            // the text parsed, but a value has the wrong type or shape
            return new ApiException(ProblemType.INVALID_VALUE, "wrong type or value" + where + " at \"" + path(m) + "\": "
                    + e.getOriginalMessage(), qualify(part, path(m)));
        }
        return new ApiException(ProblemType.MALFORMED_JSON, "not valid JSON" + where + ": " + e.getOriginalMessage(), part);
    }

    private static String qualify(String part, String path) {
        if (part == null) {
            return path.isEmpty() ? null : path;
        }
        return path.isEmpty() ? part : part + "." + path;
    }

    private static String path(JsonMappingException m) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    static Response problem(ApiProblem p) {
        return Response.status(p.status()).type(ApiProblem.MEDIA_TYPE).entity(p).build();
    }

    private static String path(UriInfo uri) {
        return uri == null ? null : uri.getPath();
    }
}
