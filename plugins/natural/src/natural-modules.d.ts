// natural publishes one index that loads every module (classifiers with database back ends among them);
// the stages import only the files they need, which have no typings of their own.
declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  const PorterStemmer: { stem(token: string): string };
  export default PorterStemmer;
}
declare module 'natural/lib/natural/stemmers/lancaster_stemmer.js' {
  const LancasterStemmer: { stem(token: string): string };
  export default LancasterStemmer;
}
declare module 'natural/lib/natural/util/*.js' {
  export const words: string[];
}
