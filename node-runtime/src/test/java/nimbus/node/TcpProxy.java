package nimbus.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay to a real server (the test's PostgreSQL) that a test can cut, as a crashed
 * database or a broken network would: open connections are reset and new ones refused until it
 * is restored on the same port.
 */
final class TcpProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final int port;
  private volatile ServerSocket listening;

  TcpProxy(String host, int targetPort) throws IOException {
    this.target = new InetSocketAddress(host, targetPort);
    this.listening = listen(0);
    this.port = listening.getLocalPort();
  }

  int port() {
    return port;
  }

  /** Resets every relayed connection and refuses new ones. */
  synchronized void cut() throws IOException {
    listening.close();
    for (Socket s : open) {
      try {
        s.setSoLinger(true, 0); // a reset, as from a peer that is gone
        s.close();
      } catch (IOException alreadyClosed) {
        // its peer closed it first
      }
    }
    open.clear();
  }

  /** Accepts connections again. */
  synchronized void restore() throws IOException {
    listening = listen(port);
  }

  private ServerSocket listen(int onPort) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort));
    Thread accepting = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          relay(server.accept());
        } catch (IOException closed) {
          return;
        }
      }
    }, "tcp-proxy-accept");
    accepting.setDaemon(true);
    accepting.start();
    return server;
  }

  private void relay(Socket client) throws IOException {
    Socket upstream = new Socket();
    try {
      upstream.connect(target, 5000);
    } catch (IOException e) {
      client.close();
      return;
    }
    open.add(client);
    open.add(upstream);
    pump(client, upstream);
    pump(upstream, client);
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buffer)) >= 0; ) out.write(buffer, 0, n);
      } catch (IOException gone) {
        // one side closed or was cut: the other goes too
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
