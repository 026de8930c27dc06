package io.tempora.persistence.export;

import static org.apache.parquet.schema.LogicalTypeAnnotation.intType;
import static org.apache.parquet.schema.LogicalTypeAnnotation.stringType;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64;

import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schemas of STORAGE.md §6.2 and the mapping of rows onto them. Ids are INT64 with the
 * unsigned integer annotation; optional columns are null where the interval side is unbounded or
 * the value absent. Stateless.
 */
public final class ExportSchemas {
  /** Schema of {@code records-shard-<N>.parquet}. */
  public static final MessageType RECORDS = recordColumns(false);

  /** Schema of {@code versions-shard-<N>.parquet}: the records columns, kind and superseded_tx. */
  public static final MessageType VERSIONS = recordColumns(true);

  /** Schema of {@code golden-shard-<N>.parquet} and {@code golden-multi.parquet}. */
  public static final MessageType GOLDEN =
      Types.buildMessage()
          .required(INT64)
          .as(intType(64, false))
          .named("entity_id")
          .required(BINARY)
          .as(stringType())
          .named("entity_type")
          .required(BINARY)
          .as(stringType())
          .named("attribute")
          .required(BINARY)
          .as(stringType())
          .named("value")
          .optional(INT64)
          .named("valid_from")
          .optional(INT64)
          .named("valid_to")
          .required(INT32)
          .named("member_count")
          .named("golden");

  private static final SimpleGroupFactory RECORD_GROUPS = new SimpleGroupFactory(RECORDS);
  private static final SimpleGroupFactory VERSION_GROUPS = new SimpleGroupFactory(VERSIONS);
  private static final SimpleGroupFactory GOLDEN_GROUPS = new SimpleGroupFactory(GOLDEN);

  private ExportSchemas() {}

  private static MessageType recordColumns(boolean versions) {
    // attribute and value are null only in a versions row of a tombstone.
    List<Type> fields = new ArrayList<>();
    fields.add(Types.required(INT64).as(intType(64, false)).named("record_id"));
    fields.add(string(true, "entity_type"));
    fields.add(string(true, "perspective"));
    fields.add(string(true, "uid"));
    fields.add(Types.required(INT32).named("version"));
    fields.add(Types.required(INT64).named("tx"));
    fields.add(string(!versions, "attribute"));
    fields.add(string(!versions, "value"));
    fields.add(Types.optional(INT64).named("valid_from"));
    fields.add(Types.optional(INT64).named("valid_to"));
    fields.add(Types.optional(INT64).as(intType(64, false)).named("entity_id"));
    if (versions) {
      fields.add(string(true, "kind"));
      fields.add(Types.optional(INT64).named("superseded_tx"));
    }
    return new MessageType(versions ? "versions" : "records", fields);
  }

  private static Type string(boolean required, String name) {
    return (required ? Types.required(BINARY) : Types.optional(BINARY))
        .as(stringType())
        .named(name);
  }

  /** A records row ({@code versions} false) or a versions row as a Parquet group. */
  public static Group group(ExportRow r, boolean versions) {
    Group g = (versions ? VERSION_GROUPS : RECORD_GROUPS).newGroup();
    g.append("record_id", r.recordId())
        .append("entity_type", r.entityType())
        .append("perspective", r.perspective())
        .append("uid", r.uid())
        .append("version", r.version())
        .append("tx", r.tx());
    appendIfPresent(g, "attribute", r.attribute());
    appendIfPresent(g, "value", r.value());
    appendIfPresent(g, "valid_from", r.validFrom());
    appendIfPresent(g, "valid_to", r.validTo());
    appendIfPresent(g, "entity_id", r.entityId());
    if (versions) {
      g.append("kind", r.kind());
      appendIfPresent(g, "superseded_tx", r.supersededTx());
    }
    return g;
  }

  /** A golden row as a Parquet group. */
  public static Group group(GoldenRow r) {
    Group g = GOLDEN_GROUPS.newGroup();
    g.append("entity_id", r.entityId())
        .append("entity_type", r.entityType())
        .append("attribute", r.attribute())
        .append("value", r.value());
    appendIfPresent(g, "valid_from", r.validFrom());
    appendIfPresent(g, "valid_to", r.validTo());
    g.append("member_count", r.memberCount());
    return g;
  }

  private static void appendIfPresent(Group g, String field, String value) {
    if (value != null) {
      g.append(field, value);
    }
  }

  private static void appendIfPresent(Group g, String field, Long value) {
    if (value != null) {
      g.append(field, value.longValue());
    }
  }
}
