"""Tabular Q-learning (plain numpy) learns OpenSpiel's catch through openenv_gym.

The state is where the ball and the paddle are (the two set cells of `info_state`); the
agent steps N environments at once over the batched stepping (`OpenEnvVectorEnv`, next-step
autoreset) or one over the plain protocol (`--num-envs 0`). Prints one line per block of
episodes: episodes so far and the mean return of the block (catch pays +1 for a catch, -1
for a miss, so a random policy averages about -0.6 on the default 10x5 board).

    python integrations/gymnasium/train_catch.py http://127.0.0.1:8000 --num-envs 16 --episodes 3000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openenv_gym import OpenEnvGym, OpenEnvVectorEnv  # noqa: E402


def key(info_state: np.ndarray) -> Tuple[int, ...]:
    return tuple(np.flatnonzero(info_state).tolist())


def train(url: str, num_envs: int, episodes: int, block: int, seed: int = 0) -> List[Tuple[int, float]]:
    rng = np.random.default_rng(seed)
    q: Dict[Tuple[int, ...], np.ndarray] = {}
    alpha, gamma = 0.5, 0.99

    def values(state: Tuple[int, ...]) -> np.ndarray:
        return q.setdefault(state, np.zeros(3))

    def act(state: Tuple[int, ...], epsilon: float) -> int:
        return int(rng.integers(3)) if rng.random() < epsilon else int(np.argmax(values(state)))

    curve: List[Tuple[int, float]] = []
    returns: List[float] = []
    if num_envs == 0:
        env = OpenEnvGym(url)
        for episode in range(episodes):
            obs, _ = env.reset(seed=seed + episode)
            state, total, done = key(obs["info_state"]), 0.0, False
            epsilon = max(0.05, 1.0 - episode / (episodes / 3))
            while not done:
                action = act(state, epsilon)
                obs, reward, done, _, _ = env.step(action)
                nxt = key(obs["info_state"])
                target = reward if done else reward + gamma * values(nxt).max()
                values(state)[action] += alpha * (target - values(state)[action])
                state, total = nxt, total + reward
            returns.append(total)
            if len(returns) == block:
                curve.append((episode + 1, float(np.mean(returns))))
                returns = []
        env.close()
        return curve

    env = OpenEnvVectorEnv(url, num_envs)
    obs, _ = env.reset(seed=seed)
    states = [key(s) for s in obs["info_state"]]
    totals = np.zeros(num_envs)
    finished = 0
    while finished < episodes:
        epsilon = max(0.05, 1.0 - finished / (episodes / 3))
        actions = np.array([act(s, epsilon) for s in states])
        obs, rewards, terminations, _, infos = env.step(actions)
        for i in range(num_envs):
            nxt = key(obs["info_state"][i])
            if not infos["autoreset"][i]:  # an autoreset step is no transition of the old episode
                target = rewards[i] if terminations[i] else rewards[i] + gamma * values(nxt).max()
                values(states[i])[actions[i]] += alpha * (target - values(states[i])[actions[i]])
                totals[i] += rewards[i]
                if terminations[i]:
                    returns.append(totals[i])
                    totals[i] = 0.0
                    finished += 1
                    if len(returns) == block:
                        curve.append((finished, float(np.mean(returns))))
                        returns = []
            states[i] = nxt
    env.close()
    return curve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--episodes", type=int, default=3000)
    parser.add_argument("--block", type=int, default=200)
    args = parser.parse_args()
    for episodes, mean in train(args.url, args.num_envs, args.episodes, args.block):
        print(f"{episodes}\t{mean:+.3f}", flush=True)


if __name__ == "__main__":
    main()
