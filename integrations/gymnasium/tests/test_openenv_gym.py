"""openenv_gym against real servers: Gymnasium's own checker, the official client as the
reference for every observation, and N single sessions as the reference for the batched
`/ws?num_envs=N` vector (next-step autoreset, seeds S + i + N*k)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from openenv import GenericEnvClient

from openenv_gym import OpenEnvGym, OpenEnvVectorEnv
from train_catch import train


@pytest.mark.parametrize("name", ["catch", "grid"])
def test_gymnasiums_checker_accepts_the_adapter(name, request):
    server = request.getfixturevalue(name)
    env = OpenEnvGym(server.url)
    try:
        # Gymnasium's own checks: spaces, reset/step signatures and types, seeding
        # determinism (the same seed twice gives the same first observation).
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_every_step_is_what_the_official_client_sees(catch):
    """Same seeds and actions through openenv's GenericEnvClient and through the adapter."""
    rng = np.random.default_rng(5)

    async def official(seed, actions):
        steps = []
        async with GenericEnvClient(base_url=catch.url) as client:
            result = await client.reset(seed=seed)
            steps.append((result.observation["info_state"], result.reward, result.done))
            for a in actions:
                result = await client.step({"action_id": int(a)})
                steps.append((result.observation["info_state"], result.reward, result.done))
                if result.done:
                    break
        return steps

    env = OpenEnvGym(catch.url)
    try:
        for seed in range(4):
            actions = rng.integers(0, 3, size=20)
            want = asyncio.run(official(seed, actions))
            obs, _ = env.reset(seed=seed)
            got = [(list(obs["info_state"]), None, False)]
            for a in actions:
                obs, reward, terminated, truncated, info = env.step(int(a))
                assert truncated is False and info["legal_actions"] == ([] if terminated else [0, 1, 2])
                got.append((list(obs["info_state"]), reward, terminated))
                if terminated:
                    break
            assert len(got) == len(want)
            for (g_state, g_reward, g_done), (w_state, w_reward, w_done) in zip(got, want):
                assert g_state == pytest.approx(w_state) and g_done == w_done
                assert g_reward == (w_reward if w_reward is not None else g_reward)
            assert got[-1][2] and got[-1][1] in (-1.0, 1.0)  # catch ends with a catch or a miss
    finally:
        env.close()


def test_the_vector_is_n_single_sessions_with_next_step_autoreset(catch):
    n, seed, steps = 4, 11, 45
    rng = np.random.default_rng(3)
    vector = OpenEnvVectorEnv(catch.url, n)
    singles = [OpenEnvGym(catch.url) for _ in range(n)]
    try:
        obs, _ = vector.reset(seed=seed)
        want = [env.reset(seed=seed + i)[0]["info_state"] for i, env in enumerate(singles)]
        assert np.allclose(obs["info_state"], np.stack(want))
        pending, resets, episodes = [False] * n, [0] * n, 0
        for _ in range(steps):
            actions = rng.integers(0, 3, size=n)
            obs, rewards, terminations, truncations, infos = vector.step(actions)
            assert not truncations.any()
            for i, env in enumerate(singles):
                if pending[i]:
                    # Next-step autoreset: this step resets environment i (its action is
                    # ignored), seeded S + i + N*k for its k-th autoreset.
                    resets[i] += 1
                    state, reward, done = env.reset(seed=seed + i + n * resets[i])[0]["info_state"], 0.0, False
                    assert infos["autoreset"][i]
                else:
                    o, reward, done, _, _ = env.step(int(actions[i]))
                    state = o["info_state"]
                    assert not infos["autoreset"][i]
                assert np.allclose(obs["info_state"][i], state), f"env {i}"
                assert rewards[i] == reward and terminations[i] == done
                pending[i] = done
                episodes += done
        assert episodes >= n  # catch's board is 10 rows: every environment ended at least once
    finally:
        vector.close()
        for env in singles:
            env.close()


def test_q_learning_learns_catch_over_batched_stepping(catch):
    """A random policy averages about -0.6 on catch's 10x5 board (hand count: the ball lands in
    one of 5 columns, a random walk of 9 moves under it catches about one time in five); the
    tabular learner of train_catch.py must end well above it."""
    curve = train(catch.url, num_envs=16, episodes=1200, block=200, seed=0)
    print(curve)
    first, last = curve[0][1], curve[-1][1]
    assert first < 0.0, curve
    assert last > 0.5 and last > first + 0.8, curve
