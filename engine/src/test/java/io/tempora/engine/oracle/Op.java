package io.tempora.engine.oracle;

import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import java.util.List;

/** One generated request: an upsert batch or a delete batch. */
public sealed interface Op permits Op.Upsert, Op.Delete {
  /** Upserts records; identities are unique within the batch. */
  record Upsert(List<RecordInput> records) implements Op {
    public Upsert {
      records = List.copyOf(records);
    }
  }

  /** Deletes identities (unknown ones answer NOT_FOUND); unique within the batch. */
  record Delete(List<Identity> identities) implements Op {
    public Delete {
      identities = List.copyOf(identities);
    }
  }
}
