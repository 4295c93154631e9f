import type { ConsoleContext } from '../../console-context';
import type { BackstageSubscription } from '../../models/subscriptions-adapter';

/**
 * The billing provider's page for a subscription, from the host's
 * `billing.externalUrl(subscription)`; null when there is no hook, it returns
 * nothing, throws, or returns anything but an absolute http(s) URL (so a
 * `javascript:` link can never reach the page).
 */
export function externalBillingUrl(ctx: ConsoleContext, subscription: BackstageSubscription | null): string | null {
  const hook = ctx.options.billing?.externalUrl;
  if (!hook || !subscription) return null;
  try {
    const value = hook(subscription);
    if (typeof value !== 'string' || value.length > 2048) return null;
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}
