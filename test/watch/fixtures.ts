/** A small project: two manifests (one data-driven), a CSV; ids welcome, support, hello-ada, hello-bob. */
export const MAIN = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  welcome:
    title: Welcome
    script: Hi there, welcome to Acme.
  support:
    title: Support
    script: Press the question mark in the corner for help.
`;

export const PEOPLE = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  hello-{{ row.slug }}:
    each: ../data/people.csv
    script: Hi {{ row.name }}, thanks for trying Acme!
`;

export const PEOPLE_CSV = `slug,name
ada,Ada
bob,Bob
`;

export function smallProject(): Record<string, string> {
  return { 'videos/main.yaml': MAIN, 'videos/people.yaml': PEOPLE, 'data/people.csv': PEOPLE_CSV };
}
