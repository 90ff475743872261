"""The phrasing tables: how each pair pattern is asked in English.

One list of question templates per pattern (and a `Who` variant where the
asked-for type is a person). Adding a way of asking is one string here; the
generator (`generate.py`) fills the fields from the schema's words
(`morphology.py`) and the sampled data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Each pattern has a list of phrasing styles; the id of style j is f"{pattern}/{j}". Fields: {a} {b} entity
# slots, {v} {w} value slots; {L}/{Ls} the type, {P} property words, {B} boolean words; for edges {F}/{Fs}
# the source type, {T}/{Ts} the target type and the verb forms {s3} {pl} {aux} {auxp} {bare} {barep} {neg}
# {negp}. A `Who` variant replaces a style when the asked-for type is Person-like.

P_LOOKUP = ["What is the {P} of {a}?", "What's {a}'s {P}?", "Show me the {P} of the {L} {a}.", "Tell me the {P} for {a}.", "{a}: what is its {P}?",
            "Which {P} does {a} have?"]
P_LOOKUP_BOOL = ["Is {a} {B}?", "Is the {L} {a} {B}?", "Tell me whether {a} is {B}.", "{a}: is it {B}?", "Is {a} {B} or not?", "Is {a} marked as {B}?"]
P_LIST = ["List all {Ls}.", "Show me every {L}.", "What {Ls} are there?", "Which {Ls} do we have?", "Give me all the {Ls}."]
P_FILTER = ["Which {Ls} have {P} {v}?", "List the {Ls} whose {P} is {v}.", "Show me all {Ls} with {P} {v}.", "Find {Ls} where the {P} is {v}.", "What are the {v} {Ls}?",
            "Give me the {Ls} with {P} {v}."]
W_FILTER = {0: "Who has {P} {v}?"}
P_FILTER_TRUE = ["Which {Ls} are {B}?", "List the {Ls} that are {B}.", "Show me all {B} {Ls}.", "Find {Ls} where {P} is true.", "What are the {B} {Ls}?",
                 "Give me the {Ls} that are {B}."]
P_FILTER_FALSE = ["Which {Ls} are not {B}?", "List the {Ls} that are not {B}.", "Show me all {Ls} that aren't {B}.", "Find {Ls} where {P} is false.", "What are the non-{B} {Ls}?",
                  "Give me the {Ls} that are not {B}."]
W_FILTER_TRUE = {0: "Who is {B}?"}
W_FILTER_FALSE = {0: "Who is not {B}?"}
P_FILTER_MULTI = ["Which {Ls} have {P} {v} and {Q} {w}?", "List the {v} {Ls} with {Q} {w}.", "Show me {Ls} whose {P} is {v} and whose {Q} is {w}.",
                  "Find {Ls} where {P} is {v} and {Q} is {w}.", "Give me the {v} {Ls} whose {Q} is {w}."]
W_FILTER_MULTI = {0: "Who has {P} {v} and {Q} {w}?"}
P_RANGE = {
    ">": ["Which {Ls} have a {P} above {n}?", "List {Ls} with {P} greater than {n}.", "Show me the {Ls} whose {P} is over {n}.", "Find {Ls} where {P} > {n}.",
          "Give me the {Ls} with {P} above {n}."],
    "<": ["Which {Ls} have a {P} below {n}?", "List {Ls} with {P} less than {n}.", "Show me the {Ls} whose {P} is under {n}.", "Find {Ls} where {P} < {n}.",
          "Give me the {Ls} with {P} below {n}."],
    ">=": ["Which {Ls} have a {P} of at least {n}?", "List {Ls} with {P} {n} or more.", "Show me the {Ls} whose {P} is {n} or higher.",
           "Find {Ls} where {P} >= {n}.", "Give me the {Ls} with a {P} of {n} or above."],
    "<=": ["Which {Ls} have a {P} of at most {n}?", "List {Ls} with {P} {n} or less.", "Show me the {Ls} whose {P} is {n} or lower.",
           "Find {Ls} where {P} <= {n}.", "Give me the {Ls} with a {P} of no more than {n}."],
    "between": ["Which {Ls} have a {P} between {n} and {m}?", "List {Ls} with {P} from {n} to {m}.", "Show me the {Ls} whose {P} is between {n} and {m}.",
                "Find {Ls} where {P} is in the range {n} to {m}.", "Give me the {Ls} with {P} between {n} and {m}."],
    "after": ["Which {Ls} have {P} after {n}?", "List {Ls} with {P} later than {n}.", "Show me the {Ls} whose {P} is after {n}.", "Find {Ls} where {P} > {n}.",
              "Give me the {Ls} with {P} after {n}."],
    "before": ["Which {Ls} have {P} before {n}?", "List {Ls} with {P} earlier than {n}.", "Show me the {Ls} whose {P} is before {n}.", "Find {Ls} where {P} < {n}.",
               "Give me the {Ls} with {P} before {n}."],
}
W_RANGE = {
    ">": {0: "Who has a {P} above {n}?"}, "<": {0: "Who has a {P} below {n}?"}, "between": {0: "Who has a {P} between {n} and {m}?"},
    ">=": {0: "Who has a {P} of at least {n}?"}, "<=": {0: "Who has a {P} of at most {n}?"},
    "after": {0: "Who has {P} after {n}?"}, "before": {0: "Who has {P} before {n}?"},
}
P_COUNT = ["How many {Ls} are there?", "Count the {Ls}.", "What is the number of {Ls}?", "How many {Ls} do we have?", "Give me the count of {Ls}."]
P_COUNT_FILTER = ["How many {Ls} have {P} {v}?", "Count the {Ls} whose {P} is {v}.", "How many {v} {Ls} are there?", "What is the number of {Ls} with {P} {v}?",
                  "Give me the count of {Ls} with {P} {v}."]
P_COUNT_TRUE = ["How many {Ls} are {B}?", "Count the {Ls} that are {B}.", "How many {B} {Ls} are there?", "What is the number of {Ls} that are {B}?",
                "Give me the count of {Ls} that are {B}."]
P_COUNT_FALSE = ["How many {Ls} are not {B}?", "Count the {Ls} that are not {B}.", "How many non-{B} {Ls} are there?", "What is the number of {Ls} that are not {B}?",
                 "Give me the count of {Ls} that are not {B}."]
P_AGGREGATE = {
    "avg": ["What is the average {P} of {Ls}?", "Average {P} across all {Ls}?", "What's the mean {P} of the {Ls}?", "Give me the average {P} over {Ls}.",
            "What {P} do {Ls} have on average?"],
    "min": ["What is the lowest {P} of any {L}?", "Minimum {P} across all {Ls}?", "What's the smallest {P} among the {Ls}?", "Give me the minimum {P} over {Ls}.",
            "What is the minimum {P} of the {Ls}?"],
    "max": ["What is the highest {P} of any {L}?", "Maximum {P} across all {Ls}?", "What's the largest {P} among the {Ls}?", "Give me the maximum {P} over {Ls}.",
            "What is the maximum {P} of the {Ls}?"],
    "sum": ["What is the total {P} of all {Ls}?", "Sum of {P} across all {Ls}?", "What's the combined {P} of the {Ls}?", "Give me the total {P} over {Ls}.",
            "What do the {P} values of all {Ls} add up to?"],
    "earliest": ["What is the earliest {P} of any {L}?", "Earliest {P} across all {Ls}?", "What's the oldest {P} among the {Ls}?", "Give me the minimum {P} over {Ls}.",
                 "When is the earliest {P} among the {Ls}?"],
    "latest": ["What is the latest {P} of any {L}?", "Latest {P} across all {Ls}?", "What's the newest {P} among the {Ls}?", "Give me the maximum {P} over {Ls}.",
               "When is the latest {P} among the {Ls}?"],
}
P_GROUP_COUNT = ["How many {Ls} are there per {P}?", "Count {Ls} by {P}.", "Break down the {Ls} by {P}.", "What is the number of {Ls} for each {P}?",
                 "Give me the count of {Ls} per {P}."]
P_TOP_K = ["Which {kL} {have} the {w0} {P}?", "What {be} the {w1} {kL} by {P}?", "List the {kL} with the {w2} {P}.", "Show me the {kL} with the {w3} {P}.",
           "Give me the {kL} with the {w0} {P}."]
TOP_WORDS = {
    ("num", "DESC"): ("highest", "top", "largest", "biggest"),
    ("num", "ASC"): ("lowest", "bottom", "smallest", "smallest"),
    ("date", "DESC"): ("latest", "latest", "most recent", "newest"),
    ("date", "ASC"): ("earliest", "earliest", "oldest", "first"),
}
P_HOP_OUT = ["Which {Ts} {aux} {a} {bare}?", "List the {Ts} that {a} {s3}.", "Show me the {Ts} {a} {s3}.", "What {Ts} {aux} the {F} {a} {bare}?", "{a} {s3} which {Ts}?",
             "Give me the {Ts} that {a} {s3}."]
W_HOP_OUT = {0: "Who {aux} {a} {bare}?"}
P_HOP_OUT_ANY = ["What {aux} {a} {bare}?", "List everything {a} {s3}.", "Show me what {a} {s3}.", "What {aux} the {F} {a} {bare}?", "{a} {s3} what?",
                 "Give me everything {a} {s3}."]
P_HOP_IN = ["Which {Fs} {pl} {a}?", "List the {Fs} that {pl} {a}.", "Show me all {Fs} that {pl} the {T} {a}.", "What {Fs} {pl} {a}?", "{a}: which {Fs} {pl} it?",
            "Give me the {Fs} that {pl} {a}."]
W_HOP_IN = {0: "Who {s3} {a}?"}
P_HOP_IN_ANY = ["What {s3} {a}?", "List everything that {s3} {a}.", "Show me whatever {s3} the {T} {a}.", "What things {pl} {a}?", "{a}: what {s3} it?",
                "Give me everything that {s3} {a}."]
P_TRANS_IN_ANY = ["What breaks if {a} is down?", "What is affected if {a} fails?", "What {s3} {a}, directly or indirectly?",
                  "Show me everything that transitively {s3} {a}.", "What is the blast radius of {a}?"]
P_TRANS_IN = ["Which {Fs} break if {a} is down?", "Which {Fs} are affected if {a} fails?", "Which {Fs} {pl} {a}, directly or indirectly?",
              "Show me all {Fs} that transitively {pl} {a}.", "Which {Fs} are in the blast radius of {a}?"]
P_TRANS_OUT_ANY = ["What {aux} {a} {bare}, directly or indirectly?", "List everything {a} transitively {s3}.", "What does {a} need to keep running?",
                   "Show me all transitive dependencies of {a}.", "What {aux} {a} ultimately {bare}?"]
P_TRANS_OUT = ["Which {Ts} {aux} {a} {bare}, directly or indirectly?", "List every {T} {a} transitively {s3}.", "Which {Ts} does {a} need to keep running?",
               "Show me all {T} dependencies of {a}, including indirect ones.", "Which {Ts} {aux} {a} ultimately {bare}?"]
P_TRANS_COUNT = ["How many {Fs} break if {a} is down?", "How many {Fs} {pl} {a}, directly or indirectly?", "Count the {Fs} affected if {a} fails.",
                 "What is the number of {Fs} in the blast radius of {a}?", "Count the {Fs} that {pl} {a}, directly or indirectly."]
P_CHAIN_IN = ["Which {Fs} {pl} {a}, directly or indirectly?", "Show me all {Fs} that {pl} {a}, at any depth.",
              "List every {F} that {s3} {a}, directly or further down the line.", "Which {Fs} {pl} {a} at any level?",
              "Give me all the {Fs} that {pl} {a}, including indirect ones."]
P_CHAIN_COUNT = ["How many {Fs} {pl} {a}, directly or indirectly?", "Count the {Fs} that {pl} {a}, at any depth.",
                 "What is the number of {Fs} that {pl} {a}, including indirect ones?", "How many {Fs} {pl} {a} at any level?",
                 "Count every {F} that {s3} {a}, directly or not."]
P_CHAIN_OUT = ["Which {Ts} {aux} {a} {bare}, directly or indirectly?", "List every {T} {a} {s3}, at any depth.",
               "Show me all {Ts} {a} {s3}, all the way along the chain.", "Which {Ts} {aux} {a} ultimately {bare}?",
               "Give me all the {Ts} {a} {s3}, including indirect ones."]
P_SHORTEST_LENGTH = ["How many hops separate {a} from {b}?", "How many steps is it from {a} to {b}?", "How far apart are {a} and {b} in the graph?",
                     "What is the distance between {a} and {b}?", "How many links lie between the {A} {a} and the {B2} {b}?"]
P_EXISTS_OUT = ["Which {Fs} {pl} at least one {T}?", "List the {Fs} that {pl} some {T}.", "Show me every {F} that {s3} {aT}.", "Which {Fs} have {aT} they {pl}?",
                "Give me the {Fs} that {pl} at least one {T}."]
W_EXISTS_OUT = {0: "Who {s3} at least one {T}?"}
P_EXISTS_OUT_ANY = ["Which {Fs} {pl} anything?", "List the {Fs} that {pl} something.", "Show me every {F} that {s3} something.", "Which {Fs} have something they {pl}?",
                    "Give me the {Fs} that {pl} something."]
P_EXISTS_IN = ["Which {Ts} have at least one {F} that {s3} them?", "List the {Ts} that some {F} {s3}.", "Show me every {T} with {aF} that {s3} it.",
               "Which {Ts} {aux} at least one {F} {bare}?", "Give me the {Ts} that at least one {F} {s3}."]
P_EXISTS_IN_ANY = ["Which {Ts} have something that {s3} them?", "List the {Ts} that something {s3}.", "Show me every {T} with something that {s3} it.",
                   "Which {Ts} {aux} something {bare}?", "Give me the {Ts} that something {s3}."]
P_NEG_OUT = ["Which {Fs} {pl} no {Ts}?", "List the {Fs} that {negp} any {T}.", "Show me {Fs} without any {T} they {pl}.", "Which {Fs} have no {T} they {pl}?",
             "Find {Fs} that {negp} any {T}."]
W_NEG_OUT = {0: "Who {s3} no {Ts}?"}
P_NEG_OUT_ANY = ["Which {Fs} {pl} nothing?", "List the {Fs} that {negp} anything.", "Show me {Fs} without anything they {pl}.", "Which {Fs} have nothing they {pl}?",
                 "Find {Fs} that {negp} anything."]
P_NEG_IN = ["Which {Ts} have no {Fs} that {pl} them?", "List the {Ts} that no {F} {s3}.", "Show me {Ts} without any {F} that {s3} them.", "Which {Ts} {aux} no {F} {bare}?",
            "Find {Ts} that no {F} {s3}."]
P_NEG_IN_ANY = ["Which {Ts} have nothing that {s3} them?", "List the {Ts} that nothing {s3}.", "Show me {Ts} without anything that {s3} them.",
                "Which {Ts} {aux} nothing {bare}?", "Find {Ts} that nothing {s3}."]
P_NEG_FILTER_OUT = ["Which {v} {Fs} {pl} no {Ts}?", "List the {Fs} with {P} {v} that {negp} any {T}.",
                    "Show me {Fs} whose {P} is {v} and that have no {T} they {pl}.", "Which {Fs} with {P} {v} have no {T} they {pl}?",
                    "Find {v} {Fs} that {negp} any {T}."]
P_NEG_FILTER_IN = ["Which {v} {Ts} have no {Fs} that {pl} them?", "List the {Ts} with {P} {v} that no {F} {s3}.",
                   "Show me {Ts} whose {P} is {v} and that no {F} {s3}.", "Which {Ts} with {P} {v} {aux} no {F} {bare}?",
                   "Find {v} {Ts} that no {F} {s3}."]
P_SHORTEST = ["How is {a} connected to {b}?", "What is the shortest path between {a} and {b}?", "Show me the path from {a} to {b}.",
              "How are {a} and {b} related?", "Find the shortest connection from the {A} {a} to the {B2} {b}."]
P_HOP_FILTER_OUT = ["Which {v} {Ts} {aux} {a} {bare}?", "Which {Ts} with {P} {v} {aux} {a} {bare}?", "List the {Ts} that {a} {s3} whose {P} is {v}.",
                    "Of the {Ts} {a} {s3}, which have {P} {v}?", "Give me the {v} {Ts} that {a} {s3}."]
P_HOP_FILTER_OUT_BOOL = ["Which {Bx} {Ts} {aux} {a} {bare}?", "Which {Ts} that are {By} {aux} {a} {bare}?", "List the {Ts} that {a} {s3} that are {By}.",
                         "Of the {Ts} {a} {s3}, which are {By}?", "Give me the {Bx} {Ts} that {a} {s3}."]
P_HOP_FILTER_IN = ["Which {v} {Fs} {pl} {a}?", "Which {Fs} with {P} {v} {pl} {a}?", "List the {Fs} that {pl} {a} whose {P} is {v}.",
                   "Of the {Fs} that {pl} {a}, which have {P} {v}?", "Give me the {v} {Fs} that {pl} {a}."]
P_HOP_FILTER_IN_BOOL = ["Which {Bx} {Fs} {pl} {a}?", "Which {Fs} that are {By} {pl} {a}?", "List the {Fs} that {pl} {a} that are {By}.",
                        "Of the {Fs} that {pl} {a}, which are {By}?", "Give me the {Bx} {Fs} that {pl} {a}."]
P_EDGE_FILTER_OUT = ["Which {Ts} {aux} {a} {bare} with {P} {n}?", "List the {Ts} that {a} {s3} where the {P} is {n}.", "Show me the {Ts} {a} {s3}, {P} {n} only.",
                     "{a} {s3} which {Ts} with {P} {n}?", "Give me the {Ts} {a} {s3} with {P} {n}."]
P_EDGE_FILTER_OUT_BOOL = ["Which {Ts} {aux} {a} {bare} where the link is {By}?", "List the {Ts} that {a} {s3} with {P} {n}.",
                          "Show me the {Ts} {a} {s3}, {Bx} links only.", "{a} {s3} which {Ts} over {Bx} links?",
                          "Give me the {Ts} {a} {s3} over {Bx} links."]
P_EDGE_FILTER_IN = ["Which {Fs} {pl} {a} with {P} {n}?", "List the {Fs} that {pl} {a} where the {P} is {n}.", "Show me the {Fs} that {pl} {a}, {P} {n} only.",
                    "{a}: which {Fs} {pl} it with {P} {n}?", "Give me the {Fs} that {pl} {a} with {P} {n}."]
W_EDGE_FILTER_IN = {0: "Who {s3} {a} with {P} {n}?"}
P_EDGE_FILTER_IN_BOOL = ["Which {Fs} {pl} {a} where the link is {By}?", "List the {Fs} that {pl} {a} with {P} {n}.",
                         "Show me the {Fs} that {pl} {a}, {Bx} links only.", "{a}: which {Fs} {pl} it over {Bx} links?",
                         "Give me the {Fs} that {pl} {a} over {Bx} links."]
P_HOP_COUNT_OUT = ["How many {Ts} {aux} {a} {bare}?", "Count the {Ts} that {a} {s3}.", "What is the number of {Ts} {a} {s3}?", "{a} {s3} how many {Ts}?",
                   "Give me the number of {Ts} {a} {s3}."]
P_HOP_COUNT_OUT_ANY = ["How many things {aux} {a} {bare}?", "Count everything {a} {s3}.", "What is the number of things {a} {s3}?", "{a} {s3} how many things?",
                       "Give me the number of things {a} {s3}."]
P_HOP_COUNT_IN = ["How many {Fs} {pl} {a}?", "Count the {Fs} that {pl} {a}.", "What is the number of {Fs} that {pl} {a}?", "{a}: how many {Fs} {pl} it?",
                  "Give me the number of {Fs} that {pl} {a}."]
P_HOP_COUNT_IN_ANY = ["How many things {pl} {a}?", "Count everything that {s3} {a}.", "What is the number of things that {pl} {a}?", "{a}: how many things {pl} it?",
                      "Give me the number of things that {pl} {a}."]
P_HOP_GROUP_OUT = ["How many {Ts} {aux} each {F} {bare}?", "For each {F}, count the {Ts} it {s3}.", "List each {F} with the number of {Ts} it {s3}.",
                   "Count the {Ts} each {F} {s3}.", "Give me, per {F}, the number of {Ts} it {s3}."]
P_HOP_GROUP_IN = ["How many {Fs} {pl} each {T}?", "For each {T}, count the {Fs} that {pl} it.", "List each {T} with the number of {Fs} that {pl} it.",
                  "Count the {Fs} that {pl} each {T}.", "Give me, per {T}, the number of {Fs} that {pl} it."]
P_TOP_DEGREE_OUT = ["Which {kX} {vX} the most {Ts}?", "What {be} the top {kX} by number of {Ts} {itX} {vX}?", "List the {kX} that {vX} the most {Ts}.",
                    "Show me the {kX} with the largest number of {Ts} {itX} {vX}.", "Give me the {kX} that {vX} the largest number of {Ts}."]
P_TOP_DEGREE_IN = ["Which {kX} {have} the most {Fs} that {pl} {itX}?", "What {be} the top {kX} by number of {Fs} that {pl} {itX}?",
                   "List the {kX} that the most {Fs} {pl}.", "Show me the {kX} with the largest number of {Fs} that {pl} {itX}.",
                   "Give me the {kX} with the most {Fs} that {pl} {itX}."]
P_EDGE_LOOKUP = ["What is the {P} of the link from {a} to {b}?", "{a} {s3} {b}: what is the {P}?", "Which {P} does the link from {a} to {b} have?",
                 "Show me the {P} on the link where {a} {s3} {b}.", "Tell me the {P} of the link from {a} to {b}."]
P_EDGE_LOOKUP_BOOL = ["Is the link from {a} to {b} {B}?", "{a} {s3} {b}: is it {B}?", "Tell me whether the link from {a} to {b} is {B}.",
                      "Is the link where {a} {s3} {b} {B}?", "Is {a}'s link to {b} {B}?"]
P_EXISTS_CHECK = ["{aux} {a} {bare} {b}?", "Is it true that {a} {s3} {b}?", "Check whether {a} {s3} {b}.", "Tell me if {a} {s3} {b}.",
                  "Is there a link where {a} {s3} {b}?"]


def styles(pattern: str, texts: Sequence[str], who: Mapping[int, str] | None = None, person: bool = False) -> list[tuple[str, str]]:
    return [(f"{pattern}/{j}", (who or {}).get(j, t) if person else t) for j, t in enumerate(texts)]
