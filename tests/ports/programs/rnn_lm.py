"""A word-level LSTM language model in the style of the public word-language-model example:
batchify, truncated backpropagation through time with detached hidden states, a hand-written
SGD update, gradient clipping, learning-rate annealing, and the whole model saved with
torch.save(model) and loaded back for the final evaluation."""
import argparse
import json
import math
import os

import torch
import torch.nn as nn

CORPUS = ("the cat sat on the mat . the dog sat on the log . a cat and a dog met on a mat . "
          "the log was near the mat and the cat saw the dog . ") * 12


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp=16, nhid=24, nlayers=2, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.decoder.out_features)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt=8):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def evaluate(model, source, criterion, bsz):
    model.eval()
    total = 0.0
    hidden = model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, 8):
            data, targets = get_batch(source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(source) - 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(1111)
    words = CORPUS.split()
    vocab = {w: i for i, w in enumerate(sorted(set(words)))}
    ids = torch.tensor([vocab[w] for w in words], dtype=torch.long)
    split = int(0.8 * len(ids))
    train_data, val_data = batchify(ids[:split], 4), batchify(ids[split:], 2)
    model = RNNModel(len(vocab))
    criterion = nn.NLLLoss()
    lr, best_val, losses = 5.0, None, []
    path = os.path.join(args.out, "model.pt")
    for epoch in range(1, args.epochs + 1):
        model.train()
        hidden = model.init_hidden(4)
        for i in range(0, train_data.size(0) - 1, 8):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p_ in model.parameters():
                p_.data.add_(p_.grad, alpha=-lr)
            losses.append(loss.item())
        val_loss = evaluate(model, val_data, criterion, 2)
        if best_val is None or val_loss < best_val:
            with open(path, "wb") as f:
                torch.save(model, f)
            best_val = val_loss
        else:
            lr /= 4.0
    with open(path, "rb") as f:
        model = torch.load(f, weights_only=False)
        model.rnn.flatten_parameters()
    test_loss = evaluate(model, val_data, criterion, 2)
    print("RESULT " + json.dumps({"losses": losses, "test_loss": test_loss,
                                  "test_ppl": math.exp(test_loss)}))


if __name__ == "__main__":
    main()
