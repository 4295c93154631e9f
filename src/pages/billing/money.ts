/** ISO 4217 currencies whose amounts have no minor unit: Stripe stores them as whole units in `amount`. */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

const formatters = new Map<string, Intl.NumberFormat | null>();

function formatterFor(currency: string): Intl.NumberFormat | null {
  if (!formatters.has(currency)) {
    let formatter: Intl.NumberFormat | null = null;
    try {
      formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' });
    } catch {
      formatter = null; // not an ISO code the runtime knows: shown as "XYZ 12.00"
    }
    formatters.set(currency, formatter);
  }
  return formatters.get(currency)!;
}

/**
 * An amount in a currency's minor unit (cents), as an operator reads it:
 * `USD 1,234.50`. Fractions of a cent (a yearly price / 12) are rounded for
 * display only; zero-decimal currencies (JPY, KRW, …) are not divided by 100.
 */
export function formatMoney(minorUnits: number | null | undefined, currency: string): string {
  if (minorUnits === null || minorUnits === undefined || Number.isNaN(minorUnits)) return '—';
  const code = currency.toUpperCase();
  const amount = ZERO_DECIMAL.has(code) ? minorUnits : minorUnits / 100;
  const formatter = formatterFor(code);
  if (formatter) return formatter.format(amount).replace(/\u00a0/g, ' ');
  return `${code} ${amount.toFixed(ZERO_DECIMAL.has(code) ? 0 : 2)}`;
}

/** "month" / "year" for the intervals hosts spell several ways; anything else as stored. */
export function billingPeriod(interval: string): string {
  if (interval === 'month' || interval === 'monthly') return 'month';
  if (interval === 'year' || interval === 'yearly' || interval === 'annual' || interval === 'annually') return 'year';
  return interval;
}
