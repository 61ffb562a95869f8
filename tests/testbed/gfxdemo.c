/* gfxdemo: a moving 1024x768 picture on QEMU's standard VGA, for benchmarks.
 *
 *   gfxdemo [FPS]        (default 20; runs until killed)
 *
 * FPS 0 draws frame 0 and then nothing: a still screen. Killing gfxdemo
 * leaves its last frame on the screen.
 *
 * The test guest's kernel has no driver for the VGA's linear framebuffer, so
 * this program sets the mode itself: it programs the Bochs VBE ("dispi")
 * registers of the VGA (PCI 1234:1111) through I/O ports 0x1CE (index) and
 * 0x1CF (data) to 1024x768, 32 bits a pixel, linear framebuffer on, and
 * draws into the framebuffer (the device's BAR 0, mapped through sysfs).
 *
 * Each frame (pixels are 0x00RRGGBB):
 *   - a diagonal colour gradient that moves 8 pixels a frame, so that every
 *     pixel of the screen changes;
 *   - a 128x128 white box with a black border that bounces around;
 *   - the frame number, in binary, in the top left corner: 32 squares of
 *     16x16 pixels in a row, most significant bit first, white for 1 and
 *     black for 0 (a reader can tell which frame it sees, and count drops).
 * Errors go to stderr with the exit status 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { WIDTH = 1024, HEIGHT = 768, BPP = 32 };
enum { PERIOD = 1536, STEP = 8, BOX = 128, BORDER = 4, BIT = 16, BITS = 32 };

enum { VBE_INDEX_PORT = 0x1ce, VBE_DATA_PORT = 0x1cf };
enum {
    VBE_ID = 0, VBE_XRES = 1, VBE_YRES = 2, VBE_BPP = 3, VBE_ENABLE = 4,
    VBE_VIRT_WIDTH = 6, VBE_VIRT_HEIGHT = 7, VBE_X_OFFSET = 8, VBE_Y_OFFSET = 9,
};
enum { VBE_ENABLED = 0x01, VBE_LFB_ENABLED = 0x40 };
enum { VBE_ID_FIRST = 0xb0c0, VBE_ID_LAST = 0xb0cf };

static void die(const char *what)
{
    fprintf(stderr, "gfxdemo: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void vbe_write(uint16_t reg, uint16_t value)
{
    outw(reg, VBE_INDEX_PORT);
    outw(value, VBE_DATA_PORT);
}

static uint16_t vbe_read(uint16_t reg)
{
    outw(reg, VBE_INDEX_PORT);
    return inw(VBE_DATA_PORT);
}

static unsigned long read_hex(const char *dir, const char *file)
{
    char path[600], buf[32] = "";
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = 0;
    fclose(f);
    return strtoul(buf, NULL, 16);
}

/* The framebuffer: BAR 0 of the first PCI device 1234:1111, mapped. */
static uint32_t *map_framebuffer(size_t size)
{
    const char *base = "/sys/bus/pci/devices";
    DIR *d = opendir(base);
    if (!d)
        die(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        if (read_hex(dir, "vendor") != 0x1234 || read_hex(dir, "device") != 0x1111)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/resource0", dir);
        int fd = open(path, O_RDWR | O_SYNC);
        if (fd < 0)
            die(path);
        void *fb = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (fb == MAP_FAILED)
            die(path);
        close(fd);
        closedir(d);
        return fb;
    }
    errno = ENODEV;
    die("no QEMU standard VGA (PCI 1234:1111)");
    return NULL;
}

static void set_mode(void)
{
    /* a 16-bit access to 0x1cf reaches 0x1d0 as well */
    if (ioperm(VBE_INDEX_PORT, 3, 1) < 0)
        die("ioperm 0x1ce");
    uint16_t id = vbe_read(VBE_ID);
    if (id < VBE_ID_FIRST || id > VBE_ID_LAST) {
        errno = ENODEV;
        die("no Bochs VBE registers");
    }
    vbe_write(VBE_ENABLE, 0);
    vbe_write(VBE_XRES, WIDTH);
    vbe_write(VBE_YRES, HEIGHT);
    vbe_write(VBE_BPP, BPP);
    vbe_write(VBE_VIRT_WIDTH, WIDTH);
    vbe_write(VBE_VIRT_HEIGHT, HEIGHT);
    vbe_write(VBE_X_OFFSET, 0);
    vbe_write(VBE_Y_OFFSET, 0);
    vbe_write(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    if (vbe_read(VBE_XRES) != WIDTH || vbe_read(VBE_YRES) != HEIGHT || vbe_read(VBE_BPP) != BPP) {
        errno = EINVAL;
        die("the VGA refused 1024x768x32");
    }
}

/* 0..255..0 over PERIOD steps. */
static uint32_t triangle(unsigned i)
{
    i %= PERIOD;
    unsigned half = PERIOD / 2;
    return (i < half ? i : PERIOD - i) * 255 / half;
}

/* PERIOD colours and then the first WIDTH again, so any row is one copy. */
static uint32_t strip[PERIOD + WIDTH];

static void make_strip(void)
{
    for (unsigned i = 0; i < PERIOD + WIDTH; i++)
        strip[i] = triangle(i) << 16 | triangle(i + PERIOD / 3) << 8 | triangle(i + 2 * PERIOD / 3);
}

static unsigned bounce(unsigned long t, unsigned range)
{
    unsigned p = t % (2 * range);
    return p < range ? p : 2 * range - p;
}

static void fill(uint32_t *fb, unsigned x, unsigned y, unsigned w, unsigned h, uint32_t colour)
{
    for (unsigned r = y; r < y + h; r++)
        for (unsigned c = x; c < x + w; c++)
            fb[r * WIDTH + c] = colour;
}

static void draw(uint32_t *fb, unsigned long frame)
{
    unsigned shift = (unsigned)(frame * STEP % PERIOD);
    for (unsigned y = 0; y < HEIGHT; y++)
        memcpy(fb + y * WIDTH, strip + (y + shift) % PERIOD, WIDTH * sizeof *fb);
    unsigned bx = bounce(frame * 12, WIDTH - BOX), by = bounce(frame * 7, HEIGHT - BOX - BIT) + BIT;
    fill(fb, bx, by, BOX, BOX, 0x000000);
    fill(fb, bx + BORDER, by + BORDER, BOX - 2 * BORDER, BOX - 2 * BORDER, 0xffffff);
    for (unsigned b = 0; b < BITS; b++)
        fill(fb, b * BIT, 0, BIT, BIT, (frame >> (BITS - 1 - b)) & 1 ? 0xffffff : 0x000000);
}

static void add_ns(struct timespec *t, long ns)
{
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int main(int argc, char **argv)
{
    long fps = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
    if (fps < 0 || fps > 1000) {
        fprintf(stderr, "usage: gfxdemo [FPS]   (0-1000, default 20)\n");
        return 2;
    }
    set_mode();
    uint32_t *fb = map_framebuffer((size_t)WIDTH * HEIGHT * sizeof(uint32_t));
    make_strip();
    if (fps == 0) {
        draw(fb, 0);
        for (;;)
            pause();
    }
    long period_ns = 1000000000L / fps;

    struct timespec next, now;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (unsigned long frame = 0;; frame++) {
        draw(fb, frame);
        add_ns(&next, period_ns);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (before(&next, &now))
            next = now; /* late: carry on from now rather than catch up in a burst */
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
    }
}
