// Placeholder: the VM harness (boots a real IPVS kernel under qemu) replaces this.
console.log('kernel suite: not built yet');
