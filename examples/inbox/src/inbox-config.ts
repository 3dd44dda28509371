import type { WhatsAppTemplateDefinition } from '@omnidealer/channel-whatsapp';
import type { WorkingHours } from '@omnidealer/core';

/**
 * A branch of the dealer group and the accounts it owns. Each branch gets its own sandbox (its own WhatsApp number,
 * its own Avito account), and the hub binds those channels to it: `channels` lists the channel ids.
 */
export interface BranchSetup {
  id: string;
  name: string;
  timeZone: string;
  workingHours: WorkingHours;
  /** The channels the branch owns: its WhatsApp number, and its Avito account if it sells on Avito. */
  accounts: { whatsapp: true; avito?: true };
}

const everyDay = (from: string, to: string): WorkingHours => ({
  mon: [{ from, to }],
  tue: [{ from, to }],
  wed: [{ from, to }],
  thu: [{ from, to }],
  fri: [{ from, to }],
  sat: [{ from, to }],
  sun: [{ from, to }],
});

/** The group's branches: a showroom with WhatsApp and Avito, a service centre with its own WhatsApp number. */
export const branches: readonly BranchSetup[] = [
  {
    id: 'north',
    name: 'Север',
    timeZone: 'Europe/Moscow',
    workingHours: everyDay('08:00', '22:00'),
    accounts: { whatsapp: true, avito: true },
  },
  { id: 'south', name: 'Юг', timeZone: 'Europe/Moscow', workingHours: everyDay('08:00', '21:00'), accounts: { whatsapp: true } },
];

/** The id of a branch's channel of one kind (`whatsapp-north`, `avito-north`). */
export const channelIdOf = (branchId: string, kind: 'whatsapp' | 'avito'): string => `${kind}-${branchId}`;

/**
 * An operator who can be given a chat. An operator of a branch sees only that branch's chats; a group supervisor
 * (no `branchId`) sees every branch and filters by branch.
 */
export interface Operator {
  id: string;
  name: string;
  department: string;
  /** The branch whose chats this operator sees and answers; absent for a group supervisor. */
  branchId?: string;
}

/** A department a chat can be handed to (its operators pick it up from the queue). */
export interface Department {
  id: string;
  name: string;
}

/** A prepared answer. `{model}`, `{price}` and `{name}` are filled from the conversation's listing and contact. */
export interface CannedReply {
  id: string;
  title: string;
  text: string;
}

/** The inbox's operators (a real CRM reads them from its user table). */
export const operators: readonly Operator[] = [
  { id: 'anna', name: 'Анна Смирнова', department: 'sales', branchId: 'north' },
  { id: 'boris', name: 'Борис Ковалёв', department: 'sales', branchId: 'north' },
  { id: 'vera', name: 'Вера Орлова', department: 'credit', branchId: 'north' },
  { id: 'oleg', name: 'Олег Петров', department: 'service', branchId: 'south' },
  { id: 'irina', name: 'Ирина Белова', department: 'sales' },
];

/** Departments a chat can be handed off to. */
export const departments: readonly Department[] = [
  { id: 'sales', name: 'Отдел продаж' },
  { id: 'credit', name: 'Кредит и страхование' },
  { id: 'service', name: 'Сервис' },
];

/** Button payloads meaning "call an operator": the only thing that moves a chat from the bot to the operators' queue. */
export const callOperatorPayloads: readonly string[] = ['CALL_OPERATOR', 'call_operator'];

/** The department a chat joins when the customer calls an operator. */
export const defaultDepartment = 'sales';

/** The answers operators pick from the reply box. */
export const cannedReplies: readonly CannedReply[] = [
  {
    id: 'in_stock',
    title: 'В наличии',
    text: 'Здравствуйте, {name}! {model} в наличии, цена {price}. Когда вам удобно приехать на осмотр?',
  },
  { id: 'test_drive', title: 'Тест-драйв', text: 'Приглашаем на тест-драйв {model}! Назовите удобный день и время.' },
  { id: 'credit', title: 'Кредит', text: '{model} можно купить в кредит, цена {price}. Рассчитать ежемесячный платёж?' },
  { id: 'greeting', title: 'Приветствие', text: 'Здравствуйте, {name}! Чем могу помочь?' },
];

/** Approved WhatsApp templates: the only thing WhatsApp delivers once the 24 h window is closed. */
export const whatsAppTemplates: WhatsAppTemplateDefinition[] = [
  {
    name: 'follow_up',
    language: 'ru',
    category: 'utility',
    bodyParams: ['name'],
    body: '{{1}}, здравствуйте! Вы писали нам в WhatsApp. Удобно продолжить разговор?',
  },
  {
    name: 'call_back',
    language: 'ru',
    category: 'utility',
    bodyParams: ['name'],
    body: '{{1}}, мы не дозвонились до вас. Когда вам удобно поговорить?',
  },
];

/** Customers the page's simulator writes as (sandbox inbound messages), so the inbox can be tried by hand. */
export interface DemoCustomer {
  id: string;
  label: string;
  /** The branch whose number or account the customer writes to. */
  branchId: string;
  channel: 'whatsapp' | 'avito';
  /** WhatsApp number (E.164). */
  phone?: string;
  /** Avito chat id (the sandbox opens it about a seeded listing). */
  chatId?: string;
  name: string;
}

/** The simulator's customers. */
export const demoCustomers: readonly DemoCustomer[] = [
  { id: 'ivan', label: 'Север · WhatsApp · Иван', branchId: 'north', channel: 'whatsapp', phone: '+79161234567', name: 'Иван' },
  { id: 'olga', label: 'Север · WhatsApp · Ольга', branchId: 'north', channel: 'whatsapp', phone: '+79257654321', name: 'Ольга' },
  { id: 'maria', label: 'Север · Avito · Мария', branchId: 'north', channel: 'avito', chatId: 'u2i-demo-maria', name: 'Мария' },
  { id: 'pavel', label: 'Север · Avito · Павел', branchId: 'north', channel: 'avito', chatId: 'u2i-demo-pavel', name: 'Павел' },
  {
    id: 'sergey',
    label: 'Юг · WhatsApp · Сергей',
    branchId: 'south',
    channel: 'whatsapp',
    phone: '+79031112233',
    name: 'Сергей',
  },
];
