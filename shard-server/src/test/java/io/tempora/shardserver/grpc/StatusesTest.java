package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.store.StoreException;
import org.junit.jupiter.api.Test;

class StatusesTest {
  @Test
  void toStatus_domainExceptions_mapToTheirCodesWithMessagesVerbatim() {
    assertThat(Statuses.toStatus(new IllegalArgumentException("record 0: uid must not be empty")))
        .satisfies(
            s -> {
              assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(s.getDescription()).isEqualTo("record 0: uid must not be empty");
            });
    assertThat(Statuses.toStatus(new NotFoundException("x")).getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(Statuses.toStatus(new PreconditionFailedException("x")).getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Statuses.toStatus(new UnsupportedOperationException("x")).getCode())
        .isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(Statuses.toStatus(new StoreException("records: put failed", null)).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void toStatus_unexpectedException_isInternalWithGenericText() {
    Status s = Statuses.toStatus(new IllegalStateException("secret detail"));

    assertThat(s.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(s.getDescription()).isEqualTo(Statuses.INTERNAL_MESSAGE);
  }
}
