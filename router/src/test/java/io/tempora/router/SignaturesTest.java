package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.proto.v1.Constraint;
import io.tempora.proto.v1.ConstraintKind;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IgnoredValues;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  private static final Ontology ONTOLOGY =
      Ontology.newBuilder()
          .addIdentityKeys(IdentityKey.newBuilder().setName("by-email").addAttributes("email"))
          .addIdentityKeys(
              IdentityKey.newBuilder()
                  .setName("by-name-dob")
                  .addAttributes("name")
                  .addAttributes("dob"))
          .addIdentityKeys(
              IdentityKey.newBuilder()
                  .setName("by-phone")
                  .addAttributes("phone")
                  .addEntityTypes("person"))
          .addConstraints(
              Constraint.newBuilder()
                  .setName("one-ssn")
                  .setAttribute("ssn")
                  .setKind(ConstraintKind.CONSTRAINT_KIND_UNIQUE))
          .addIgnoredValues(
              IgnoredValues.newBuilder().setAttribute("email").addValues("none@example.org"))
          .build();

  private static final List<String> ATTRS = List.of("email", "name", "dob", "phone", "ssn", "tag");

  private static int slotOf(String signature) {
    CRC32C crc = new CRC32C();
    crc.update(signature.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % ShardMap.SLOTS);
  }

  private static Record random(Random rnd, int i) {
    Record.Builder r =
        Record.newBuilder()
            .setIdentity(
                Identity.newBuilder()
                    .setEntityType(rnd.nextBoolean() ? "person" : "company")
                    .setPerspective("p" + rnd.nextInt(3))
                    .setUid("u" + i));
    int n = rnd.nextInt(6);
    for (int k = 0; k < n; k++) {
      String attr = ATTRS.get(rnd.nextInt(ATTRS.size()));
      String value =
          attr.equals("email") && rnd.nextInt(4) == 0 ? "none@example.org" : attr + rnd.nextInt(5);
      Descriptor.Builder d = Descriptor.newBuilder().setAttr(attr).setValue(value);
      if (rnd.nextBoolean()) {
        long start = rnd.nextInt(10);
        d.setInterval(Interval.newBuilder().setStart(start).setEnd(start + 1 + rnd.nextInt(5)));
      }
      r.addDescriptors(d);
    }
    return r.build();
  }

  @Test
  void homeSlot_randomRecords_isSlotOfFirstSignatureElseOfIdentity() {
    Signatures sigs = new Signatures(ONTOLOGY);
    Random rnd = new Random(5);
    int withSignatures = 0;
    for (int i = 0; i < 2_000; i++) {
      Record r = random(rnd, i);
      List<String> all = sigs.of(r);
      int expected = all.isEmpty() ? ShardMap.slotOf(r.getIdentity()) : slotOf(all.get(0));
      withSignatures += all.isEmpty() ? 0 : 1;
      assertThat(sigs.homeSlot(r)).as("record %s", r).isEqualTo(expected);
    }
    assertThat(withSignatures).isBetween(500, 1_900);
  }

  @Test
  void homeSlot_onlyConstrainedValue_isSlotOfConstraintSignature() {
    Record r =
        Record.newBuilder()
            .setIdentity(
                Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("a"))
            .addDescriptors(Descriptor.newBuilder().setAttr("ssn").setValue("123"))
            .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue("none@example.org"))
            .build();

    int slot = new Signatures(ONTOLOGY).homeSlot(r);

    assertThat(slot).isEqualTo(slotOf("C\u0000person\u0000one-ssn\u0000123"));
  }

  @Test
  void of_keyTuplesDisjointInTime_formNoTuple() {
    Record r =
        Record.newBuilder()
            .setIdentity(
                Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("a"))
            .addDescriptors(
                Descriptor.newBuilder()
                    .setAttr("name")
                    .setValue("ann")
                    .setInterval(Interval.newBuilder().setStart(0).setEnd(5)))
            .addDescriptors(
                Descriptor.newBuilder()
                    .setAttr("dob")
                    .setValue("1990")
                    .setInterval(Interval.newBuilder().setStart(5).setEnd(9)))
            .build();

    assertThat(new Signatures(ONTOLOGY).of(r)).isEmpty();
    assertThat(new Signatures(ONTOLOGY).homeSlot(r)).isEqualTo(ShardMap.slotOf(r.getIdentity()));
  }
}
