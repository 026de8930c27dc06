package io.tempora.deploy.datadir;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.deploy.Logging;
import io.tempora.proto.internal.v1.MoveStatus;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.proto.internal.v1.SlotRange;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora admin rebalance --router HOST:PORT (--move A-B[,C-D] --to N | --add-shard N |
 * --status | --abort) [--wait]} (DISTRIBUTED.md §5, docs/distributed.md "Rebalancing"): calls the
 * router's {@code tempora.internal.v1.Router/Rebalance} and prints the map and the moves. Exit 0
 * done, 1 the router refused or failed, 2 bad arguments.
 */
@Command(
    name = "rebalance",
    mixinStandardHelpOptions = true,
    description = {
      "Moves slots between shards online through a router, spreads slots onto a new shard, shows"
          + " the moves' progress or aborts the moves that have not flipped.",
      "Exit status: 0 done, 1 the router refused or failed, 2 bad arguments."
    })
public final class RebalanceCommand implements Callable<Integer> {
  @Option(
      names = "--router",
      required = true,
      paramLabel = "HOST:PORT",
      description = "the router's address")
  private String router;

  @ArgGroup(exclusive = true, multiplicity = "1")
  private Action action;

  static final class Action {
    @Option(
        names = "--move",
        paramLabel = "A-B[,C-D]",
        description = "slots to move (inclusive ranges, or single slots), with --to")
    String move;

    @Option(
        names = "--add-shard",
        paramLabel = "N",
        description = "give shard N ⌊16384/shards⌋ slots from the fullest shards")
    Integer addShard;

    @Option(names = "--status", description = "show the map and the moves in progress")
    boolean status;

    @Option(names = "--abort", description = "abort every move that has not flipped")
    boolean abort;
  }

  @Option(names = "--to", paramLabel = "N", description = "target shard of --move")
  private Integer to;

  @Option(names = "--wait", description = "wait until the moves are done")
  private boolean waitDone;

  @Option(
      names = "--timeout-s",
      defaultValue = "3600",
      paramLabel = "S",
      description = "deadline of the call in seconds (default ${DEFAULT-VALUE})")
  private long timeoutS;

  @Override
  public Integer call() {
    Logging.configure("warn", "text", true);
    RebalanceRequest request;
    try {
      request = request();
    } catch (IllegalArgumentException e) {
      System.err.println("tempora admin rebalance: " + e.getMessage());
      return 2;
    }
    return run(router, request, timeoutS, System.out, System.err);
  }

  private RebalanceRequest request() {
    RebalanceRequest.Builder b = RebalanceRequest.newBuilder().setWait(waitDone);
    if (action.move != null) {
      if (to == null) {
        throw new IllegalArgumentException("--move needs --to N");
      }
      b.addAllMove(parseRanges(action.move)).setTo(to);
    } else if (to != null) {
      throw new IllegalArgumentException("--to is only valid with --move");
    } else if (action.addShard != null) {
      b.setAddShard(action.addShard);
    } else if (action.status) {
      b.setStatus(true);
    } else {
      b.setAbort(true);
    }
    return b.build();
  }

  /** Parses {@code A-B,C,D-E} into ranges. */
  static List<SlotRange> parseRanges(String text) {
    List<SlotRange> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.strip();
      int dash = p.indexOf('-');
      try {
        int first = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
        int last = dash < 0 ? first : Integer.parseInt(p.substring(dash + 1));
        out.add(SlotRange.newBuilder().setFirst(first).setLast(last).build());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--move: '" + p + "' is not a slot or a range A-B of slots 0..16383");
      }
    }
    return out;
  }

  /** Calls the router; prints the answer or the failure; the exit status. */
  static int run(
      String router, RebalanceRequest request, long timeoutS, PrintStream out, PrintStream err) {
    int colon = router.lastIndexOf(':');
    if (colon < 0) {
      err.println("tempora admin rebalance: --router: '" + router + "' must be HOST:PORT");
      return 2;
    }
    ManagedChannel channel;
    try {
      channel =
          NettyChannelBuilder.forAddress(
                  router.substring(0, colon), Integer.parseInt(router.substring(colon + 1)))
              .usePlaintext()
              .build();
    } catch (IllegalArgumentException e) {
      err.println("tempora admin rebalance: --router: '" + router + "' must be HOST:PORT");
      return 2;
    }
    try {
      RebalanceResponse r =
          RouterGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutS, TimeUnit.SECONDS)
              .rebalance(request);
      print(r, out);
      return 0;
    } catch (StatusRuntimeException e) {
      err.println(
          "tempora admin rebalance: "
              + e.getStatus().getCode()
              + (e.getStatus().getDescription() == null
                  ? ""
                  : ": " + e.getStatus().getDescription()));
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  static void print(RebalanceResponse r, PrintStream out) {
    if (!r.getMessage().isEmpty()) {
      out.println(r.getMessage());
    }
    out.printf("map epoch %d; slots per shard %s%n", r.getEpoch(), r.getSlotsPerShardList());
    if (r.getMovesCount() == 0) {
      out.println("no move in progress");
    }
    for (MoveStatus s : r.getMovesList()) {
      SlotMove m = s.getMove();
      long slots = 0;
      for (SlotRange x : m.getSlotsList()) {
        slots += x.getLast() - x.getFirst() + 1;
      }
      out.printf(
          "%s: %d slots %d -> %d, phase %s%s, records copied %d, examined %d/%d, %.0f records/s%s%n",
          m.getId(),
          slots,
          m.getSource(),
          m.getTarget(),
          m.getPhase(),
          m.getScanned() ? " (catch-up)" : "",
          m.getCopied(),
          m.getExamined(),
          m.getTotal(),
          s.getRate(),
          s.getError().isEmpty() ? "" : ", last error: " + s.getError());
    }
    out.flush();
  }
}
