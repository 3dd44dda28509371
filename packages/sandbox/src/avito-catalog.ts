import { createSeededRandom, seededDigits } from './random.js';

/** A car listing as the sandbox puts it in an Avito chat's `context.value`. */
export interface AvitoItem {
  id: number;
  title: string;
  /** Price in roubles. */
  price: number;
  url: string;
}

const cars: ReadonlyArray<readonly [string, string, number, number]> = [
  ['Hyundai', 'Solaris', 2019, 1_150_000],
  ['Kia', 'Rio', 2020, 1_320_000],
  ['Lada', 'Vesta', 2022, 1_190_000],
  ['Haval', 'F7', 2023, 2_490_000],
  ['Chery', 'Tiggo 7 Pro', 2023, 2_150_000],
  ['Geely', 'Coolray', 2022, 1_990_000],
  ['Toyota', 'Camry', 2018, 2_650_000],
  ['Volkswagen', 'Polo', 2019, 1_240_000],
  ['Skoda', 'Octavia', 2017, 1_390_000],
  ['Renault', 'Duster', 2021, 1_780_000],
  ['Kia', 'Sportage', 2019, 2_390_000],
  ['Hyundai', 'Creta', 2021, 2_090_000],
  ['Mitsubishi', 'Outlander', 2018, 2_250_000],
  ['Nissan', 'Qashqai', 2017, 1_690_000],
  ['Changan', 'CS55 Plus', 2024, 2_550_000],
  ['Exeed', 'LX', 2023, 2_890_000],
];

/** `1 150 000 ₽`, the way Avito writes `price_string` (narrow no-break spaces as thousands separators). */
export function formatRoubles(amount: number): string {
  return `${amount.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')}\u00a0₽`;
}

/** A deterministic listing for `(seed, key)`, from a catalogue of cars Russian dealers sell. */
export function createAvitoItem(seed: number | string, key: string | number): AvitoItem {
  const random = createSeededRandom(seed, 'avito.item', key);
  const [make, model, year, price] = random.pick(cars);
  const id = Number(seededDigits(10, seed, 'avito.item.id', key));
  const slug = `${make}_${model}_${year}`.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return {
    id,
    title: `${make} ${model}, ${year}`,
    price: price + random.integer(-10, 10) * 10_000,
    url: `https://www.avito.ru/moskva/avtomobili/${slug}_${id}`,
  };
}
