package io.tempora.deploy.cluster;

import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import java.util.List;

/** The process tests' records: {@code person/crm/<uid>} with the email {@code <uid>@x}. */
final class EmailRecords {
  private EmailRecords() {}

  static Identity identity(String uid) {
    return Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid).build();
  }

  static IngestRequest request(List<String> uids) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (String uid : uids) {
      b.addRecords(
          Record.newBuilder()
              .setIdentity(identity(uid))
              .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(uid + "@x")));
    }
    return b.build();
  }
}
