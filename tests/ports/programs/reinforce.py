"""REINFORCE in the style of the public reinforcement-learning example: a policy network,
Categorical sampling, log-probabilities kept per episode, discounted returns accumulated in a
deque and turned into a tensor, normalised with numpy's float32 eps, and a running reward.
The environment is a small deterministic corridor written here (no gym)."""
import json
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Corridor:
    """Walk from cell 0 to cell 3; actions 0 (left) and 1 (right); reward 1 at the goal."""

    def reset(self):
        self.pos, self.t = 0, 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(4, dtype=np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        self.pos = max(0, self.pos + (1 if action == 1 else -1))
        self.t += 1
        done = self.pos == 3 or self.t >= 20
        return self._obs(), (1.0 if self.pos == 3 else -0.01), done


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 32)
        self.dropout = nn.Dropout(p=0.2)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        return F.softmax(self.affine2(x), dim=1)


def main():
    torch.manual_seed(543)
    env, policy = Corridor(), Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    gamma, running_reward, history = 0.99, 0.0, []
    for episode in range(30):
        state, ep_reward = env.reset(), 0.0
        for t in range(1, 21):
            state_t = torch.from_numpy(state).float().unsqueeze(0)
            probs = policy(state_t)
            m = Categorical(probs)
            action = m.sample()
            policy.saved_log_probs.append(m.log_prob(action))
            state, reward, done = env.step(action.item())
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        R, returns = 0.0, deque()
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.appendleft(R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        policy_loss = [-log_prob * R for log_prob, R in zip(policy.saved_log_probs, returns)]
        optimizer.zero_grad()
        loss = torch.cat(policy_loss).sum()
        loss.backward()
        optimizer.step()
        del policy.rewards[:]
        del policy.saved_log_probs[:]
        history.append([ep_reward, loss.item()])
    print("RESULT " + json.dumps({"history": history, "running_reward": running_reward}))


if __name__ == "__main__":
    main()
