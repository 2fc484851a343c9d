/**
 * What every feature hands to app.ts besides its routes. Its factory builds it and loads what it needs (nothing
 * listens yet); `start()` subscribes it to the bus (through `bus.subscriber(<feature>)`) and starts its timers;
 * `stop()` releases those subscriptions, stops the timers and finishes what is in flight. app.ts starts the
 * features in one list and stops everything in another, whose order is the shutdown order.
 */
export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}
