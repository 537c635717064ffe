"""A DCGAN training loop in the style of the public DCGAN example, on 16x16 images: a
ConvTranspose2d generator and a Conv2d discriminator with BatchNorm and LeakyReLU,
weights_init applied with Module.apply, BCELoss with real/fake labels, Adam with beta1=0.5,
the fake batch detached for the discriminator step, and a fixed noise batch."""
import json

import torch
import torch.nn as nn
import torch.optim as optim

nz, ngf, ndf, nc = 8, 8, 8, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),     # 4x4
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),    # 8x8
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),         # 16x16
            nn.Tanh())

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def main():
    torch.manual_seed(999)
    # "real" images: blurred squares at random positions
    real_images = torch.zeros(64, 1, 16, 16)
    pos = torch.randint(0, 10, (64, 2))
    for k in range(64):
        r, c = pos[k].tolist()
        real_images[k, 0, r:r + 6, c:c + 6] = 1.0
    real_images = real_images * 2 - 1
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(16, nz, 1, 1)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    dataloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(real_images),
                                             batch_size=16, shuffle=True)
    d_losses, g_losses = [], []
    for epoch in range(3):
        for i, (data,) in enumerate(dataloader):
            netD.zero_grad()
            b_size = data.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float)
            output = netD(data)
            errD_real = criterion(output, label)
            errD_real.backward()
            noise = torch.randn(b_size, nz, 1, 1)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            optimizerD.step()
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            optimizerG.step()
            d_losses.append((errD_real + errD_fake).item())
            g_losses.append(errG.item())
    with torch.no_grad():
        sample = netG(fixed_noise).detach()
    print("RESULT " + json.dumps({"d": d_losses, "g": g_losses,
                                  "sample_mean": sample.mean().item(),
                                  "sample_std": sample.std().item()}))


if __name__ == "__main__":
    main()
