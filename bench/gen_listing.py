"""Generate a synthetic publication listing for benchmarks.

The output has the text layout of ``kg/data/mila-publications.txt`` (see the
listing reader, ``kg/sources/listing.py``): a ``Publications`` header and a blank
line, then per record one title line, 1–8 author lines and, for about half the
records, one long abstract line.

The lines are shaped so that kg's line classifier reads every one as intended:

* titles are lower-case words with a colon and a number (``learning sparse
  graphs: a study of kernel methods 123``); the colon and the digits mean no
  title can be taken for a person's name, and the number makes every title
  unique even after kg's title normalisation (so no two records merge);
* authors are ``Given Family`` pairs of capitalised made-up words, drawn from a
  pool of people (8,000 by default) with a Zipf-like skew so that people have
  several works each and a few have many, as on a real institute's page;
* abstracts are 40–90 words in several sentences ending with a full stop (so
  none is flagged as truncated) and never contain the "(voir plus)" label.

The output is deterministic for a given ``--seed``.

Usage::

    python bench/gen_listing.py --records 20000 --out /tmp/listing.txt
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

# Vocabulary for titles and abstracts: lower-case, no word that kg's reader
# treats as a name particle, so title and abstract lines never look like names.
ADJECTIVES = """sparse robust efficient scalable causal bayesian stochastic adaptive
contrastive hierarchical probabilistic differentiable implicit latent multimodal
federated continual offline online generative discriminative structured
equivariant recurrent convolutional variational spectral""".split()
NOUNS = """graphs networks policies representations embeddings transformers kernels
agents priors estimators gradients features objectives manifolds datasets
benchmarks optimizers dynamics attention memories curricula rewards languages
proteins molecules images videos""".split()
TOPICS = """kernel methods, reinforcement learning, language models, protein design,
climate forecasting, drug discovery, robot control, speech recognition,
image segmentation, graph learning, causal inference, active learning,
program synthesis, time series, anomaly detection""".replace("\n", " ").split(", ")
KINDS = ["study", "analysis", "view", "theory", "survey", "benchmark", "case study", "perspective"]
VERBS = ["learning", "training", "scaling", "revisiting", "understanding", "rethinking",
         "evaluating", "improving", "regularizing", "compressing"]
SENTENCE_WORDS = """the model method approach results data we show that our this
paper propose novel framework performance across tasks training learning
representations improves significantly compared baselines experiments
demonstrate while also under several conditions in which of and with for
a an to on is are can be by from these provides evidence analysis""".split()

# Syllables for made-up personal names ("Kaleno Brativ"): no real-word collisions.
ONSETS = ["b", "br", "d", "dr", "f", "g", "gr", "h", "j", "k", "kl", "l", "m", "n",
          "p", "pr", "r", "s", "st", "t", "tr", "v", "w", "z"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
CODAS = ["", "", "n", "r", "l", "s", "m", "v", "k"]


def _word(rng: random.Random, syllables: int) -> str:
    """A capitalised pronounceable made-up word of ``syllables`` syllables."""
    parts = [rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(CODAS)).capitalize()


def make_people(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct "Given Family" names.

    Given and family names come from two pools of made-up words; the product of
    the pools is sampled without replacement, so names are unique (also under
    kg's name normalisation, which only folds case, accents, periods and
    hyphens, none of which differ here).
    """
    pool = max(40, int(count ** 0.5 * 1.5))
    given: set[str] = set()
    family: set[str] = set()
    while len(given) < pool:
        given.add(_word(rng, rng.choice([2, 2, 3])))
    while len(family) < pool:
        family.add(_word(rng, rng.choice([2, 3, 3])))
    combos = list(itertools.product(sorted(given), sorted(family)))
    return [f"{g} {f}" for g, f in rng.sample(combos, count)]


def make_title(rng: random.Random, n: int) -> str:
    """A unique lower-case title with a colon and the record number ``n``."""
    head = f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    topic = " and ".join(rng.sample(TOPICS, 2))
    return f"{head}: a {rng.choice(KINDS)} of {topic} {n}"


def make_abstract(rng: random.Random) -> str:
    """An abstract of 40+ words in 3–6 sentences, each ending with a full stop."""
    sentences = []
    words = 0
    while words < 40 or len(sentences) < 3:
        k = rng.randint(10, 18)
        body = rng.choices(SENTENCE_WORDS, k=k)
        if rng.random() < 0.5:  # a comma now and then, as in real prose
            body[rng.randint(2, k - 2)] += ","
        sentences.append(" ".join(body).capitalize() + ".")
        words += k
    return " ".join(sentences)


def generate(records: int, people: int = 8000, seed: int = 42) -> str:
    """The listing text for ``records`` records over a pool of ``people`` people."""
    rng = random.Random(seed)
    pool = make_people(rng, people)
    # Zipf-like popularity: person i is drawn with weight 1/(i+1)^0.7.
    weights = list(itertools.accumulate(1.0 / (i + 1) ** 0.7 for i in range(people)))
    lines = ["Publications", ""]
    for n in range(1, records + 1):
        lines.append(make_title(rng, n))
        k = rng.randint(1, 8)
        authors: list[str] = []
        while len(authors) < k:  # distinct authors within one record
            name = rng.choices(pool, cum_weights=weights)[0]
            if name not in authors:
                authors.append(name)
        lines.extend(authors)
        if rng.random() < 0.5:
            lines.append(make_abstract(rng))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000, help="number of records (= works) (default: 20000)")
    parser.add_argument("--people", type=int, default=8000, help="size of the pool of authors (default: 8000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument("--out", type=Path, help="output file (default: standard output)")
    args = parser.parse_args(argv)
    if args.records < 1 or args.people < 8:
        parser.error("--records must be >= 1 and --people >= 8")
    text = generate(args.records, args.people, args.seed)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
