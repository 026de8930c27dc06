package io.tempora.deploy;

import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSIX signal handlers beyond the JVM's own shutdown hooks (SIGHUP for reloads). Uses {@code
 * sun.misc.Signal} through reflection: it lives in {@code jdk.unsupported}, which javac flags.
 */
public final class Signals {
  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code action} on a JVM signal thread each time the signal arrives.
   *
   * @param name signal name without {@code SIG}, e.g. {@code HUP}
   * @return whether the handler was installed
   */
  public static boolean handle(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object proxy =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(),
              new Class<?>[] {handler},
              (self, method, args) -> {
                if (method.getName().equals("handle")) {
                  action.run();
                  return null;
                }
                return switch (method.getName()) {
                  case "hashCode" -> System.identityHashCode(self);
                  case "equals" -> self == args[0];
                  default -> "SignalHandler(" + name + ")";
                };
              });
      Object sig = signal.getConstructor(String.class).newInstance(name);
      Object previous = signal.getMethod("handle", signal, handler).invoke(null, sig, proxy);
      if (previous != null && previous == handler.getField("SIG_IGN").get(null)) {
        // The JVM keeps a shutdown signal the parent ignored (e.g. nohup) ignored and installs
        // nothing: say so, since that signal will never reach us.
        LOG.warn(
            "SIG{} is ignored by this process (started under nohup?): it will have no effect",
            name);
        return false;
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot handle SIG{}: {}", name, e.toString());
      return false;
    }
  }
}
