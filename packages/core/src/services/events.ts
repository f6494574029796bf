/** Everything that happens in a run, as data: the CLI and examples turn these into progress and logs. */
export type TributaryEvent =
  | { readonly type: 'stage:start'; readonly stage: string; readonly index: number; readonly phase: 'fit' | 'transform' }
  | {
      readonly type: 'stage:end';
      readonly stage: string;
      readonly index: number;
      readonly phase: 'fit' | 'transform';
      readonly ms: number;
      readonly records: number;
    }
  | {
      readonly type: 'epoch:end';
      readonly stage: string;
      readonly epoch: number;
      readonly epochs: number;
      readonly logs: Readonly<Record<string, number>>;
    }
  | { readonly type: 'progress'; readonly label: string; readonly done: number; readonly total?: number; readonly stage?: string }
  | {
      readonly type: 'record:rejected';
      readonly stage: string;
      readonly recordId: string | number;
      readonly code: string;
      readonly message: string;
      readonly policy: 'skip' | 'dead-letter';
    }
  | { readonly type: 'warning'; readonly stage: string; readonly code: string; readonly message: string; readonly recordId?: string | number };

export type EventType = TributaryEvent['type'];
export type EventOf<K extends EventType> = Extract<TributaryEvent, { type: K }>;

/** A small typed event bus, one per runtime. */
export interface Events {
  emit(event: TributaryEvent): void;
  on<K extends EventType>(type: K, handler: (event: EventOf<K>) => void): () => void;
  onAny(handler: (event: TributaryEvent) => void): () => void;
}

export function createEvents(): Events {
  const handlers = new Map<string, Set<(event: TributaryEvent) => void>>();
  const add = (type: string, handler: (event: TributaryEvent) => void) => {
    let set = handlers.get(type);
    if (!set) handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => void set.delete(handler);
  };
  return {
    emit(event) {
      for (const handler of handlers.get(event.type) ?? []) handler(event);
      for (const handler of handlers.get('*') ?? []) handler(event);
    },
    on: (type, handler) => add(type, handler as (event: TributaryEvent) => void),
    onAny: (handler) => add('*', handler),
  };
}
