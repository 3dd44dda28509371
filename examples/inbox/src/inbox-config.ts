import type { WhatsAppTemplateDefinition } from '@omnidealer/channel-whatsapp';

/** An operator who can be given a chat. */
export interface Operator {
  id: string;
  name: string;
  department: string;
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
  { id: 'anna', name: 'Анна Смирнова', department: 'sales' },
  { id: 'boris', name: 'Борис Ковалёв', department: 'sales' },
  { id: 'vera', name: 'Вера Орлова', department: 'credit' },
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
  channel: 'whatsapp' | 'avito';
  /** WhatsApp number (E.164). */
  phone?: string;
  /** Avito chat id (the sandbox opens it about a seeded listing). */
  chatId?: string;
  name: string;
}

/** The simulator's customers. */
export const demoCustomers: readonly DemoCustomer[] = [
  { id: 'ivan', label: 'WhatsApp · Иван', channel: 'whatsapp', phone: '+79161234567', name: 'Иван' },
  { id: 'olga', label: 'WhatsApp · Ольга', channel: 'whatsapp', phone: '+79257654321', name: 'Ольга' },
  { id: 'maria', label: 'Avito · Мария', channel: 'avito', chatId: 'u2i-demo-maria', name: 'Мария' },
  { id: 'pavel', label: 'Avito · Павел', channel: 'avito', chatId: 'u2i-demo-pavel', name: 'Павел' },
];
