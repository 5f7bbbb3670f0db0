import { formatCallrDate } from '../../functions/callr/dates';
import type { CallrHmacAlgorithm } from '../../functions/callr/signature';
import type { DeliveryEngine, DeliveryTarget } from './delivery';
import { newEventId, newObjectHash } from './ids';
import { inboundSmsObject, inboundSmsPayloadV2, outboundSmsObject, type InboundSms, type OutboundSms, type StatusChange } from './sms-objects';

/**
 * One emulated CALLR account: its webhook subscriptions and SMS, and the events they cause.
 * Transport-free: the JSON-RPC and control endpoints, and in-process callers, all come here.
 */

export interface EmulatedWebhook {
  readonly hash: string;
  readonly type: string;
  readonly endpoint: string;
  readonly hmacSecret?: string;
  readonly hmacAlgorithm: CallrHmacAlgorithm;
  readonly createdAt: Date;
}

/** What the emulator shows of a subscription: everything but its secret. */
export interface WebhookView {
  readonly hash: string;
  readonly type: string;
  readonly endpoint: string;
  readonly hmacAlgorithm: CallrHmacAlgorithm;
  readonly signed: boolean;
  readonly createdAt: string;
}

export interface SendSmsRequest {
  /** Empty: CALLR sends from one of the account's shortcodes, so that the SMS can be answered. */
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly nature?: string;
  readonly userData?: string;
  /** Per-SMS webhook: status updates of this SMS and replies to it are delivered there too. */
  readonly webhook?: { readonly endpoint: string; readonly hmacSecret?: string; readonly hmacAlgorithm?: CallrHmacAlgorithm };
}

/** Which webhooks an injected inbound SMS goes to: JSON-RPC `sms.mo` ones (v1), REST v2 `v2.sms.inbound.received` ones, or both (the default). */
export type InboundSmsFormat = 'v1' | 'v2';
export const V2_INBOUND_SMS_EVENT_TYPE = 'v2.sms.inbound.received';

export interface InjectedSms {
  /** The SMS hash, the same in every event about this SMS. */
  readonly hash: string;
  /** One event per webhook it goes to (global `sms.mo` subscriptions, and the per-SMS webhook of the MT it replies to). */
  readonly eventIds: string[];
}

/** The outcome of an account operation that CALLR could refuse. */
export type AccountResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AccountErrorCode; readonly detail?: string };
export type AccountErrorCode = 'TYPE_ENDPOINT_DUPLICATE' | 'NOT_FOUND';

export interface EmulatedAccountOptions {
  readonly delivery: DeliveryEngine;
  readonly now: () => Date;
  /** Spacing of the PENDING → SENT → DELIVERED status updates of a sent SMS. */
  readonly statusUpdateDelayMs: number;
  /** The account's shortcodes; an SMS sent without a sender goes out from the first. */
  readonly shortcodes: readonly string[];
  /** SMS the account already holds (CALLR keeps its SMS: local mode reloads them after a restart). */
  readonly initialSms?: EmulatedSmsHistory;
  /** Told after each SMS received or sent, with every SMS the account holds. */
  readonly onSmsChange?: (history: EmulatedSmsHistory) => void;
}

/** The SMS an account holds, as kept between runs: sent ones without their webhook (no more events for them). */
export interface EmulatedSmsHistory {
  readonly inbound: readonly InboundSms[];
  readonly outbound: readonly OutboundSms[];
}

/** Statuses an emulated outbound SMS goes through after CREATED. */
export const OUTBOUND_STATUS_SEQUENCE = ['PENDING', 'SENT', 'DELIVERED'] as const;

interface OutboundRecord {
  sms: OutboundSms;
  readonly webhook: SendSmsRequest['webhook'];
}

export interface EmulatedAccount {
  subscribe(input: { type: string; endpoint: string; hmacSecret?: string; hmacAlgorithm: CallrHmacAlgorithm }): AccountResult<EmulatedWebhook>;
  unsubscribe(hash: string): AccountResult<true>;
  webhooks(): EmulatedWebhook[];
  sendSms(request: SendSmsRequest): string;
  injectInboundSms(sms: InboundSmsInjection): InjectedSms;
  sentSms(): Array<Record<string, unknown>>;
  /**
   * `sms.get_list`: the SMS of one direction whose creation (for an inbound SMS, its reception)
   * falls within the seconds `from` to `to`, both included, oldest first, as CALLR's SMS objects.
   */
  listSms(type: 'IN' | 'OUT', from: Date, to: Date): Array<Record<string, unknown>>;
}

export interface InboundSmsInjection {
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly format?: InboundSmsFormat;
  /**
   * Received by CALLR but delivered to no webhook, as when the endpoint was down for longer than
   * CALLR retries: only `sms.get_list` knows of it. @default false
   */
  readonly undelivered?: boolean;
}

export function createEmulatedAccount(options: EmulatedAccountOptions): EmulatedAccount {
  const webhooks = new Map<string, EmulatedWebhook>();
  const outbound: OutboundRecord[] = (options.initialSms?.outbound ?? []).map((sms) => ({ sms, webhook: undefined }));
  const inbound: InboundSms[] = [...(options.initialSms?.inbound ?? [])];
  const { delivery, now } = options;
  const smsChanged = () => options.onSmsChange?.({ inbound: [...inbound], outbound: outbound.map((record) => record.sms) });

  const uniqueHash = (taken: (hash: string) => boolean) => {
    let hash = newObjectHash();
    while (taken(hash)) hash = newObjectHash();
    return hash;
  };

  const senderShortcode = () => {
    const [shortcode] = options.shortcodes;
    if (shortcode === undefined) throw new RangeError('the emulated account has no shortcode to send from');
    return shortcode;
  };

  const subscribersOf = (type: string) => [...webhooks.values()].filter((webhook) => webhook.type === type);

  const globalTarget = (webhook: EmulatedWebhook): DeliveryTarget => ({
    endpoint: webhook.endpoint,
    hookHash: webhook.hash,
    hmacSecret: webhook.hmacSecret,
    hmacAlgorithm: webhook.hmacAlgorithm,
  });

  /**
   * A per-SMS webhook carries no secret of its own unless sms.send gave one; CALLR's documentation
   * does not say how such deliveries are signed, so the emulator signs them like the account's
   * subscription on the same endpoint when there is one (which is what lets the local pipeline,
   * which refuses unsigned events, take them in).
   */
  const perSmsTarget = (webhook: NonNullable<SendSmsRequest['webhook']>): DeliveryTarget => {
    if (webhook.hmacSecret) {
      return { endpoint: webhook.endpoint, hookHash: null, hmacSecret: webhook.hmacSecret, hmacAlgorithm: webhook.hmacAlgorithm ?? 'SHA256' };
    }
    const sameEndpoint = [...webhooks.values()].find((candidate) => candidate.endpoint === webhook.endpoint && candidate.hmacSecret);
    return sameEndpoint
      ? { endpoint: webhook.endpoint, hookHash: null, hmacSecret: sameEndpoint.hmacSecret, hmacAlgorithm: sameEndpoint.hmacAlgorithm }
      : { endpoint: webhook.endpoint, hookHash: null, hmacAlgorithm: 'SHA256' };
  };

  const emit = (type: string, data: unknown, target: DeliveryTarget): string => {
    const eventId = newEventId();
    delivery.deliver({ eventId, eventAt: now().toISOString(), type, data }, target);
    return eventId;
  };

  const advanceStatus = (record: OutboundRecord, step: number) => {
    const newStatus = OUTBOUND_STATUS_SEQUENCE[step];
    if (!newStatus) return;
    const previous = record.sms.history.at(-1);
    const change: StatusChange = { oldStatus: previous?.newStatus ?? 'CREATED', newStatus, at: now() };
    record.sms = { ...record.sms, history: [...record.sms.history, change] };
    smsChanged();
    const data = outboundSmsObject(record.sms);
    if (record.webhook) emit('sms.mt.status_update', data, perSmsTarget(record.webhook));
    for (const webhook of subscribersOf('sms.mt.status_update')) emit('sms.mt.status_update', data, globalTarget(webhook));
    delivery.later(options.statusUpdateDelayMs, () => advanceStatus(record, step + 1));
  };

  return {
    subscribe(input) {
      const duplicate = [...webhooks.values()].some((webhook) => webhook.type === input.type && webhook.endpoint === input.endpoint);
      if (duplicate) return { ok: false, error: 'TYPE_ENDPOINT_DUPLICATE', detail: `${input.type} ${input.endpoint}` };
      const webhook: EmulatedWebhook = {
        hash: uniqueHash((hash) => webhooks.has(hash)),
        type: input.type,
        endpoint: input.endpoint,
        ...(input.hmacSecret ? { hmacSecret: input.hmacSecret } : {}),
        hmacAlgorithm: input.hmacAlgorithm,
        createdAt: now(),
      };
      webhooks.set(webhook.hash, webhook);
      return { ok: true, value: webhook };
    },

    unsubscribe(hash) {
      return webhooks.delete(hash) ? { ok: true, value: true } : { ok: false, error: 'NOT_FOUND', detail: `webhook ${hash}` };
    },

    webhooks: () => [...webhooks.values()],

    sendSms(request) {
      const hash = uniqueHash((candidate) => outbound.some((record) => record.sms.hash === candidate));
      const record: OutboundRecord = {
        sms: {
          hash,
          // A reply comes back to this number, so a reply to a shortcode finds this SMS and its webhook.
          from: request.from === '' ? senderShortcode() : request.from,
          to: request.to,
          text: request.text,
          nature: request.nature ?? 'ALERTING',
          userData: request.userData ?? '',
          webhookEndpoint: request.webhook?.endpoint ?? null,
          createdAt: now(),
          history: [],
        },
        webhook: request.webhook,
      };
      outbound.push(record);
      smsChanged();
      delivery.later(options.statusUpdateDelayMs, () => advanceStatus(record, 0));
      return hash;
    },

    injectInboundSms({ from, to, text, format, undelivered }) {
      const sms: InboundSms = { hash: uniqueHash((candidate) => inbound.some((known) => known.hash === candidate)), from, to, text, receivedAt: now() };
      inbound.push(sms);
      smsChanged();
      const eventIds: string[] = [];
      if (undelivered) return { hash: sms.hash, eventIds };
      if (format !== 'v2') {
        const data = inboundSmsObject(sms);
        eventIds.push(...subscribersOf('sms.mo').map((webhook) => emit('sms.mo', data, globalTarget(webhook))));
        // A reply to an SMS sent with a per-SMS webhook also goes to that webhook, as its own event.
        const repliedTo = [...outbound].reverse().find((record) => record.webhook && record.sms.to === from && record.sms.from === to);
        if (repliedTo?.webhook) eventIds.push(emit('sms.mo', data, perSmsTarget(repliedTo.webhook)));
      }
      if (format !== 'v1') {
        // Each subscription gets its own format: the same SMS, `sid` = its hash in lower case.
        const payload = inboundSmsPayloadV2(sms);
        for (const webhook of subscribersOf(V2_INBOUND_SMS_EVENT_TYPE)) eventIds.push(emit(V2_INBOUND_SMS_EVENT_TYPE, payload, globalTarget(webhook)));
      }
      return { hash: sms.hash, eventIds };
    },

    sentSms: () => outbound.map((record) => outboundSmsObject(record.sms)),

    listSms(type, from, to) {
      const firstSecond = Math.floor(from.getTime() / 1000);
      const lastSecond = Math.floor(to.getTime() / 1000);
      const within = (date: Date) => {
        const second = Math.floor(date.getTime() / 1000);
        return second >= firstSecond && second <= lastSecond;
      };
      const byTime = <T>(items: T[], at: (item: T) => Date) => items.filter((item) => within(at(item))).sort((a, b) => at(a).getTime() - at(b).getTime());
      return type === 'IN'
        ? byTime(inbound, (sms) => sms.receivedAt).map(inboundSmsObject)
        : byTime(outbound, (record) => record.sms.createdAt).map((record) => outboundSmsObject(record.sms));
    },
  };
}

export function webhookView(webhook: EmulatedWebhook): WebhookView {
  return {
    hash: webhook.hash,
    type: webhook.type,
    endpoint: webhook.endpoint,
    hmacAlgorithm: webhook.hmacAlgorithm,
    signed: webhook.hmacSecret !== undefined,
    createdAt: webhook.createdAt.toISOString(),
  };
}

/** The Webhook object as CALLR's JSON-RPC API returns it: never the secret. */
export function webhookObject(webhook: EmulatedWebhook, typeField: 'type' | 'event_type' = 'type'): Record<string, unknown> {
  return {
    hash: webhook.hash,
    [typeField]: webhook.type,
    endpoint: webhook.endpoint,
    options: { hmac_algo: webhook.hmacSecret ? webhook.hmacAlgorithm : null },
    date_creation: formatCallrDate(webhook.createdAt),
  };
}
