// The live channel (/live): the hub pushes every change the user may see; on each (re)connect the
// page reads the house again, so nothing that happened while it was away is missed.

const LOGGED_OUT = 4401;

export class Live {
  /**
   * @param {object} handlers onOpen() (read the house), onMessage(message), onStatus("connecting"|"online"|"lost"),
   *   check() (before reconnecting: is the session still there? it may have ended while the hub was away)
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.delay = 500;
    this.socket = null;
  }

  start() {
    this.handlers.onStatus("connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/live`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.delay = 500;
      this.handlers.onStatus("online");
      this.handlers.onOpen();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handlers.onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === LOGGED_OUT) {
        // The same address shows the login page now, and this page again once logged in.
        location.reload();
        return;
      }
      this.handlers.onStatus("lost");
      // Back off up to 10 s: a hub restarting is back within seconds, a hub gone is not hammered.
      setTimeout(async () => {
        try {
          await this.handlers.check();
        } catch {
          // the hub is still away: try the channel again all the same
        }
        this.start();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }
}
