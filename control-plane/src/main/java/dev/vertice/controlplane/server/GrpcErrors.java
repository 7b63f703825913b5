package dev.vertice.controlplane.server;

import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;

/**
 * {@code GrpcErrors} builds the statuses the control plane's services answer with (the gRPC
 * services of this package and of {@code xds}).
 */
public final class GrpcErrors {

  private GrpcErrors() {}

  /** Returns the violation of one request field, for {@link #invalidArgument}. */
  public static BadRequest.FieldViolation violation(String field, String description) {
    return BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description).build();
  }

  /** INVALID_ARGUMENT carrying a {@code google.rpc.BadRequest} that names every bad field. */
  public static StatusRuntimeException invalidArgument(List<BadRequest.FieldViolation> violations) {
    StringBuilder message = new StringBuilder("invalid request: ");
    for (int i = 0; i < violations.size(); i++) {
      if (i > 0) {
        message.append("; ");
      }
      message.append(violations.get(i).getField()).append(": ").append(violations.get(i).getDescription());
    }
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT_VALUE)
        .setMessage(message.toString())
        .addDetails(com.google.protobuf.Any.pack(BadRequest.newBuilder().addAllFieldViolations(violations).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** NOT_FOUND with {@code message}. */
  public static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  /** RESOURCE_EXHAUSTED with {@code message}. */
  public static StatusRuntimeException resourceExhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  /** UNAVAILABLE with {@code message}. */
  public static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  /** UNAVAILABLE telling the client to reconnect, because the control plane is shutting down. */
  public static StatusRuntimeException shuttingDown() {
    return Status.UNAVAILABLE.withDescription("control plane is shutting down; reconnect (to another replica if any)")
        .asRuntimeException();
  }
}
