// "Did you mean": one implementation for the whole product (fuzzysort plus an edit distance), kept in config/.
export { didYouMean } from '../config/suggest.js';
