package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.proto.v1.GetRecordResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GetRecord's history_kept_from_tx is set exactly when retention shortened the history. */
class ResponseMapperHistoryTest {
  private static final Identity ID = Identity.of("person", "crm", "a");

  private static RecordVersion version(int v, long tx) {
    return new RecordVersion(
        7,
        ID,
        v,
        tx,
        v == 1 ? ChangeKind.CREATED : ChangeKind.UPDATED,
        Descriptors.of(List.of(Descriptor.always("email", "v" + v))));
  }

  @Test
  void record_historyShortenedByRetention_setsHistoryKeptFromTx() {
    RecordVersion v3 = version(3, 9);
    RecordInfo info =
        new RecordInfo(7, true, 3, v3.descriptors(), 11, List.of(version(2, 5), v3), 1, 6);

    GetRecordResponse r = ResponseMapper.record(info);

    assertThat(r.hasHistoryKeptFromTx()).isTrue();
    assertThat(r.getHistoryKeptFromTx()).isEqualTo(6);
    assertThat(r.getHistoryList()).extracting(h -> h.getVersion()).containsExactly(2, 3);
  }

  @Test
  void record_completeHistory_leavesHistoryKeptFromTxUnset() {
    RecordVersion v2 = version(2, 5);
    RecordInfo info =
        new RecordInfo(7, true, 2, v2.descriptors(), 11, List.of(version(1, 1), v2), 1);

    GetRecordResponse r = ResponseMapper.record(info);

    assertThat(r.hasHistoryKeptFromTx()).isFalse();
    assertThat(r.getHistoryCount()).isEqualTo(2);
  }
}
