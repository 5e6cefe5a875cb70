// The link state of a tap interface wherever it lives. DPDK's net_tap reads IFF_UP/IFF_RUNNING with an ioctl
// by interface name in sluiced's own network namespace: once the interface has been moved into another one
// (a container's, a VM's, the demo's), that lookup fails with ENODEV and the port reads as link down although
// its peer is up and passing traffic. The kernel can tell where the interface is from the tun file descriptor
// the tap's queues hold (TUNGETDEVNETNS, Linux 5.2): the flags are read there, in that namespace.
#define _GNU_SOURCE
#include "CDPDK.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

// A tun file descriptor of this process attached to `iface` (its current name, as /proc shows it), or -1.
static int tun_fd_for(const char *iface) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) return -1;
    int found = -1;
    struct dirent *entry;
    while (found < 0 && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (strcmp(target, "/dev/net/tun") != 0) continue;
        snprintf(path, sizeof path, "/proc/self/fdinfo/%s", entry->d_name);
        FILE *info = fopen(path, "re");
        if (info == NULL) continue;
        char line[128];
        while (fgets(line, sizeof line, info) != NULL) {
            char name[IFNAMSIZ + 1];
            if (sscanf(line, "iff: %16s", name) == 1 && strcmp(name, iface) == 0) {
                found = atoi(entry->d_name);
                break;
            }
        }
        fclose(info);
    }
    closedir(dir);
    return found;
}

struct flags_query {
    int netns;
    const char *iface;
    short flags;
    int error;
};

// Runs on a thread of its own: setns changes the namespace of the calling thread only, and this one ends
// right after, so no other thread (the control thread with its sockets) ever leaves sluiced's namespace.
static void *read_flags_in_namespace(void *argument) {
    struct flags_query *query = argument;
    if (setns(query->netns, CLONE_NEWNET) != 0) {
        query->error = errno;
        return NULL;
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        query->error = errno;
        return NULL;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, query->iface, IFNAMSIZ - 1);
    if (ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
        query->error = errno;
    } else {
        query->flags = request.ifr_flags;
    }
    close(sock);
    return NULL;
}

int sl_tap_link_state(const char *iface) {
    int tun = tun_fd_for(iface);
    if (tun < 0) return -ENOENT;
    int netns = ioctl(tun, TUNGETDEVNETNS);
    if (netns < 0) return -errno;
    struct flags_query query = {.netns = netns, .iface = iface, .flags = 0, .error = 0};
    pthread_t thread;
    int error = pthread_create(&thread, NULL, read_flags_in_namespace, &query);
    if (error == 0) error = pthread_join(thread, NULL);
    close(netns);
    if (error != 0) return -error;
    if (query.error != 0) return -query.error;
    return (query.flags & IFF_UP) && (query.flags & IFF_RUNNING) ? 1 : 0;
}
