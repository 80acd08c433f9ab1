export { eventually } from '../helpers/eventually';
