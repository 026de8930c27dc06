package io.tempora.router;

import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.util.List;

/**
 * Test data shared by the router's reconciliation tests: an ontology linking people by email or by
 * phone, and records of it. Stateless.
 */
final class ContactRecords {
  /** Identity keys {@code by-email} (email) and {@code by-phone} (phone). */
  static final Ontology ONTOLOGY =
      Ontology.newBuilder()
          .addIdentityKeys(IdentityKey.newBuilder().setName("by-email").addAttributes("email"))
          .addIdentityKeys(IdentityKey.newBuilder().setName("by-phone").addAttributes("phone"))
          .build();

  private ContactRecords() {}

  /** A crm person {@code uid} with one descriptor. */
  static Record record(String uid, String attr, String value) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr(attr).setValue(value))
        .build();
  }

  /** {@code r} with a {@code tag} descriptor added (a new version that links as before). */
  static Record tagged(Record r, String tag) {
    return r.toBuilder()
        .addDescriptors(Descriptor.newBuilder().setAttr("tag").setValue(tag))
        .build();
  }

  /** The value of the {@code tag} descriptor ("" when none). */
  static String tag(List<Descriptor> ds) {
    return ds.stream()
        .filter(d -> d.getAttr().equals("tag"))
        .map(Descriptor::getValue)
        .findFirst()
        .orElse("");
  }

  /** The tag of {@code r}'s record as read through {@code client} ("" when it has none). */
  static String tagOf(TemporaServiceBlockingStub client, Record r) {
    return tag(
        client
            .getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
            .getDescriptorsList());
  }

  /** Two records linking through a phone, homed on different shards of a 3-shard map. */
  static Record[] crossShardPair() {
    Signatures sigs = new Signatures(ONTOLOGY);
    ShardMap map = new ShardMap(3);
    Record a = record("x", "phone", "p9");
    for (int i = 0; ; i++) {
      Record b =
          record("y", "email", "y" + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue("p9"))
              .build();
      if (map.shardOfSlot(sigs.homeSlot(b)) != map.shardOfSlot(sigs.homeSlot(a))) {
        return new Record[] {a, b};
      }
    }
  }
}
